"""/api/cameras routes."""

from fastapi import APIRouter

router = APIRouter()
