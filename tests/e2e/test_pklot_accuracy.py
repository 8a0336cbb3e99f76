"""Per-space occupancy accuracy on real PKLot CCTV stills, through the real pipeline.

Each parking space's labelled polygon becomes a zone (anchor: center); the
image folders run as snapshot cameras through sources → detector →
zones; a space is "occupied" on a frame when any vehicle's centre lies in
it. Compared with the hand labels in the XML files.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from lanewatch.config import LookConfig, SourceConfig
from lanewatch.pipeline import CameraSpec, Pipeline
from tests.support.pklot import load_pklot_spaces, pklot_zone_file

pytestmark = pytest.mark.e2e
SEQUENCES = ["sequence0", "sequence1", "sequence2", "sequence3"]


def _run(footage_dir: Path, detector, looks: LookConfig) -> dict[tuple[str, str], dict[str, bool]]:
    root = footage_dir / "pklot-ufpr05"
    zones = pklot_zone_file(next((root / "sequence0" / "bounding_boxes").glob("*.xml"))).zones
    specs = [CameraSpec(SourceConfig(camera=s, url=str(root / s / "frames"), timezone="UTC"), zones) for s in SEQUENCES]
    seen: dict[tuple[str, float], dict[str, bool]] = {}

    def on_frame(result) -> None:
        stamp = result.frame.timestamp.astimezone(UTC).strftime("%Y-%m-%d_%H_%M_%S")
        seen[(result.frame.camera, stamp)] = {z: len(d) > 0 for z, d in result.inside.items()}

    Pipeline(specs, detector, frame_sinks=[on_frame], look_config=looks).run()
    return seen


def _accuracy(footage_dir: Path, seen) -> tuple[float, int, int]:
    root = footage_dir / "pklot-ufpr05"
    correct = total = 0
    for sequence in SEQUENCES:
        for xml in sorted((root / sequence / "bounding_boxes").glob("*.xml")):
            predicted = seen[(sequence, xml.stem)]  # every labelled frame was analysed, timed by its file name
            for space in load_pklot_spaces(xml):
                total += 1
                correct += predicted[f"space-{space.space_id}"] == space.occupied
    return correct / total, correct, total


def test_pklot_space_occupancy_accuracy_at_1280(footage_dir: Path, make_detector) -> None:
    """The default pipeline (change gate + lane crop) reaches the target and loses nothing
    against plain full-frame inference on every look."""
    detector = make_detector(1280)
    accuracy, correct, total = _accuracy(footage_dir, _run(footage_dir, detector, LookConfig()))
    plain, plain_correct, _ = _accuracy(
        footage_dir, _run(footage_dir, detector, LookConfig(change_gate=False, crop_to_zones=False))
    )
    print(
        f"PKLot per-space accuracy at imgsz 1280: {accuracy:.4f} ({correct}/{total}); "
        f"full frame, no gate: {plain:.4f} ({plain_correct}/{total})"
    )
    assert total == 20 * 40
    assert accuracy >= 0.95
    assert correct >= plain_correct
