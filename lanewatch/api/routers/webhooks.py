"""/api/webhooks routes."""

from fastapi import APIRouter

router = APIRouter()
