"""/api/zones routes."""

from fastapi import APIRouter

router = APIRouter()
