"""What the API needs from the running service, as a protocol.

The service (lanewatch/service.py) owns the pipeline threads; the API only
reads its state and tells it about edits. Tests can hand the API a small
fake runtime without running any camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import Engine

from lanewatch.alarms.service import AlarmService
from lanewatch.detect.detections import Detections
from lanewatch.events.bus import EventBus
from lanewatch.events.links import LinkSigner
from lanewatch.video.frame import Frame

if TYPE_CHECKING:
    from lanewatch.pipeline import PipelineHealth


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """A camera's live state for /api/health and the dashboard."""

    state: str  # "online" | "offline" | "frozen" | "covered" | "dark" | "blurred" | "moved" | "stopped" (not running)
    last_frame_at: datetime | None
    frames: int = 0
    dropped: int = 0


class Runtime(Protocol):
    engine: Engine
    evidence_dir: Path
    bus: EventBus
    alarms: AlarmService
    """The fire-sensor side: ingest sink, alarm lifecycle steps, rules cache."""
    links: LinkSigner | None
    """Signs and checks the evidence links of robot and SMS messages (None: no such links)."""

    def latest_frame(self, camera_id: str) -> tuple[Frame, Detections] | None:
        """The last analysed frame of a camera and what was detected on it, if any."""
        ...

    def camera_status(self, camera_id: str) -> CameraStatus: ...

    def reload_camera(self, camera_id: str) -> None:
        """A camera or its zones changed (or it was deleted): apply it to the running pipeline."""
        ...

    def metrics_text(self) -> str:
        """Prometheus exposition of the pipeline's counters (frames, inferences, queue depth, violations)."""
        ...

    def pipeline_health(self) -> PipelineHealth | None:
        """Whether the detector keeps up (ok / behind); None when this process runs no pipeline."""
        ...

    def alarm_ingest_health(self) -> dict[str, tuple[bool, dict[str, int]]]:
        """Each enabled sensor ingest path besides HTTP ('mqtt', 'gb26875'): (up, counters)."""
        ...
