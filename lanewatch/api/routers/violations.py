"""/api/violations routes."""

from fastapi import APIRouter

router = APIRouter()
