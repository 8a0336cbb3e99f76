"""Fire-sensor alarms: devices, ingest, alarm lifecycle (filled in by the alarms work)."""

from fastapi import APIRouter

router = APIRouter(prefix="/alarms", tags=["alarms"])
