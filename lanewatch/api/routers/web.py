"""The web pages (zone editor, dashboard, phone view, duty console), served as static files."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
