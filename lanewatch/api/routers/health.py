"""/api/health routes."""

from fastapi import APIRouter

router = APIRouter()
