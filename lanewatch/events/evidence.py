"""Evidence snapshots: the clean frame and an annotated copy a person reads at a glance.

The stamp's words are in the deployment's language and its time in the deployment's time zone with
the offset (lanewatch.words), drawn with a CJK font so a Chinese zone name reads (events/text.py).

Both are written atomically (temporary file + rename) so a crash never
leaves a half-written JPEG that a later request would serve.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from lanewatch.events.text import draw_text_box
from lanewatch.words import local_text, name, t

ZONE_COLOUR = (0, 215, 255)  # amber (BGR): the lane
BOX_COLOUR = (0, 0, 255)  # red: the offending object
TEXT_COLOUR = (255, 255, 255)
_SAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def draw_label(
    image: np.ndarray, text: str, origin: tuple[int, int], scale: float, colour: tuple[int, int, int]
) -> None:
    """Text (any script) on a filled background so it stays readable on any scene; `scale` as OpenCV's."""
    draw_text_box(image, text, origin, max(12, round(scale * 32)), colour, TEXT_COLOUR)


def stamp_texts(label: str, zone_name: str, dwell_s: float, timestamp: datetime, lang: str | None = None) -> list[str]:
    """The words of a stamp: what, how long, where; and when, in the deployment's zone with its offset."""
    what = t("stamp.object", lang, label=name("label", label, lang), dwell=f"{dwell_s:.0f}", zone=zone_name)
    return [what, local_text(timestamp)]


def annotate(
    image: np.ndarray,
    polygon_px: np.ndarray,
    box_px: tuple[float, float, float, float],
    *,
    label: str,
    zone_name: str,
    dwell_s: float,
    timestamp: datetime,
    lang: str | None = None,
) -> np.ndarray:
    """A copy of ``image`` with the zone, the box, the label with dwell time, and the timestamp."""
    out = image.copy()
    scale = max(0.4, min(out.shape[:2]) / 720)
    thick = max(2, round(scale * 3))
    poly = np.asarray(polygon_px, dtype=np.int32).reshape(-1, 1, 2)
    overlay = out.copy()
    cv2.fillPoly(overlay, [poly], ZONE_COLOUR)
    cv2.addWeighted(overlay, 0.25, out, 0.75, 0, dst=out)
    cv2.polylines(out, [poly], True, ZONE_COLOUR, thick, cv2.LINE_AA)
    x1, y1, x2, y2 = (round(float(v)) for v in box_px)
    cv2.rectangle(out, (x1, y1), (x2, y2), BOX_COLOUR, thick, cv2.LINE_AA)
    what, when = stamp_texts(label, zone_name, dwell_s, timestamp, lang)
    draw_label(out, what, (x1, y1 - 4), 0.6 * scale, BOX_COLOUR)
    draw_label(out, when, (4, out.shape[0] - 6), 0.6 * scale, (40, 40, 40))
    return out


def write_jpeg(path: Path, image: np.ndarray, quality: int = 90) -> None:
    """Encode and write atomically."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"could not encode JPEG for {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(buf.tobytes())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class EvidenceWriter:
    """Writes a violation's two JPEGs under ``root/<camera>/<YYYY-MM-DD>/``."""

    def __init__(self, root: Path, quality: int = 90) -> None:
        self.root = Path(root)
        self.quality = quality

    def save(
        self, violation_id: str, camera: str, image: np.ndarray, annotated: np.ndarray, timestamp: datetime
    ) -> tuple[str, str]:
        """Write both files; returns (annotated, clean) paths relative to ``root``."""
        folder = Path(_SAFE.sub("_", camera)) / timestamp.strftime("%Y-%m-%d")
        name = _SAFE.sub("_", violation_id)
        annotated_rel = folder / f"{name}.jpg"
        clean_rel = folder / f"{name}_clean.jpg"
        write_jpeg(self.root / clean_rel, image, self.quality)
        write_jpeg(self.root / annotated_rel, annotated, self.quality)
        return annotated_rel.as_posix(), clean_rel.as_posix()
