"""/api/events routes."""

from fastapi import APIRouter

router = APIRouter()
