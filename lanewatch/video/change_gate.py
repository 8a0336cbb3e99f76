"""`ChangeGate`: skip the detector on a look whose lane regions have not changed.

Inference is the expensive step; most looks at a fire lane show the same
scene as the last look the detector saw. The gate keeps a small grey
thumbnail of that last *inferred* look (the reference) and compares each new
look with it, zone by zone:

1. Thumbnail: the frame is shrunk to ``thumb_width`` px wide with
   ``cv2.INTER_AREA`` (an average over each block, which also averages away
   sensor noise), turned grey and blurred 3×3. A grey image already that
   small (e.g. from ``frame.reformat(width, height, format="gray")`` in
   PyAV) is used as is.
2. Masks: each zone's pixel polygon is rasterised on the thumbnail and
   dilated by ``zone_margin`` thumbnail pixels, so a car crossing the border
   into the lane counts before its anchor is inside.
3. Light: before differencing, the current zone pixels are scaled by
   median(reference zone) / median(current zone). An exposure or daylight
   change multiplies the whole zone; the median, unlike the mean, is not
   dragged by the bright car that made the camera's auto-exposure react.
   On ``intel/car-detection.mp4`` the camera's auto-exposure takes the
   empty road's median grey from 64 to 88 to 108 over three looks after a
   white car leaves: without the scaling 100 % of the lane's pixels differ
   by more than 15 grey levels, with it 0.0 %. Gradients (Sobel) would
   ignore an offset but still scale with the gain, and miss a flat-coloured
   car on flat asphalt, so they were not used.
4. A pixel changed when the scaled difference exceeds ``pixel_threshold``
   grey levels; a zone changed when more than ``area_fraction`` of its mask
   pixels did.

Decisions: the first look infers ("first"); a changed zone infers
("changed"); ``refresh_s`` of stream time since the last inference infers
("refresh"; a clock that runs backwards also does, as after a source
restart); otherwise the look is skipped ("unchanged"). Changes outside all
zones never trigger.

The reference moves only in `mark_inferred`, never in `decide`, so a slow
change (a shadow creeping over the lane, a car rolling in a few pixels per
look) accumulates against the reference until it trips the threshold,
instead of hiding under the per-look threshold for ever.

Defaults, measured at 1 look/s on the shared footage (the real-footage
cases in ``tests/video/test_change_gate.py``): looks with nothing moving in
the zone differ in 0.0–0.1 % of its pixels at 15 grey levels, also after
re-encoding at 150 kb/s or adding sensor noise of σ 3; people at a car's
door change 0.8–3 %, a car moving in the lane 5–63 %, and on the PKLot
stills (5–220 min apart) each car arriving in or leaving a parking-space
zone changes 9–82 % of it. Hence ``pixel_threshold=15`` and
``area_fraction=0.005``: five times the noise, below the smallest real
change. A car of 1 % of the frame in a zone covering the whole frame still
changes about 1 % of the mask.

Cost per look: 0.4 ms at 640×360, about 2 ms at 1920×1080 (the resize),
0.1 ms given a ready-made thumbnail; `mark_inferred` costs the same again.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lanewatch.video.thumbnail import area_thumbnail

# Gain limits for the light normalisation: a zone that got more than 4×
# brighter or darker is not a lighting drift (day/night switch, lights on),
# and is left to the threshold to report.
_MAX_GAIN = 4.0


@dataclass(frozen=True, slots=True)
class GateDecision:
    """What to do with one look.

    Attributes:
        infer: run the detector on this look.
        reason: "first", "changed", "refresh" or "unchanged".
        changed_zones: indices (into the gate's zones) of the zones that changed.
        fractions: per zone, the fraction of its mask pixels that changed
            (empty on the first look); for metrics and tuning.
    """

    infer: bool
    reason: str
    changed_zones: tuple[int, ...] = ()
    fractions: tuple[float, ...] = ()


class ChangeGate:
    """Per-camera gate in front of the detector; one verb per look: `decide`.

    Attributes:
        looks: looks decided on.
        inferred: looks decided "infer" (first, changed or refresh).
        skipped: looks decided "unchanged".
    """

    def __init__(
        self,
        zones_px: list[np.ndarray],
        frame_size: tuple[int, int],
        *,
        thumb_width: int = 160,
        pixel_threshold: float = 15.0,
        area_fraction: float = 0.005,
        refresh_s: float = 30.0,
        zone_margin: int = 2,
    ) -> None:
        """
        Args:
            zones_px: each zone's polygon as (K, 2) pixel corners of a
                ``frame_size`` frame (``PolygonZone.polygon``).
            frame_size: (width, height) of the frames to come.
            thumb_width: width in pixels of the comparison thumbnail; the
                height keeps the frame's aspect ratio.
            pixel_threshold: grey levels (0–255) by which a thumbnail pixel
                must differ, after light normalisation, to count as changed.
            area_fraction: fraction of a zone's mask pixels that must change
                for the zone to count as changed.
            refresh_s: seconds of stream time after which a look is inferred
                even if nothing changed, so a miss is never carried for long.
            zone_margin: thumbnail pixels by which each zone's mask is grown.
        """
        if thumb_width < 8:
            raise ValueError(f"thumb_width must be at least 8, got {thumb_width}")
        if not 0 <= area_fraction < 1:
            raise ValueError(f"area_fraction must be in [0, 1), got {area_fraction}")
        if refresh_s <= 0:
            raise ValueError(f"refresh_s must be positive, got {refresh_s}")
        self.thumb_width = thumb_width
        self.pixel_threshold = float(pixel_threshold)
        self.area_fraction = float(area_fraction)
        self.refresh_s = float(refresh_s)
        self.zone_margin = zone_margin
        self.looks = 0
        self.inferred = 0
        self.skipped = 0
        self.set_zones(zones_px, frame_size)

    def set_zones(self, zones_px: list[np.ndarray], frame_size: tuple[int, int] | None = None) -> None:
        """Use new zones (and optionally a new frame size); the next look infers as "first"."""
        if frame_size is not None:
            width, height = int(frame_size[0]), int(frame_size[1])
            if width <= 0 or height <= 0:
                raise ValueError(f"frame size must be positive, got {width}x{height}")
            self.frame_size = (width, height)
            self.thumb_size = (self.thumb_width, max(1, round(height * self.thumb_width / width)))
        self._masks = [self._zone_pixels(np.asarray(z)) for z in zones_px]
        self._reference: np.ndarray | None = None
        self._last: tuple = (None, None)
        self._reference_medians: list[float] = []
        self._reference_offset = 0.0

    def _zone_pixels(self, polygon: np.ndarray) -> np.ndarray:
        """Flat indices of a zone's dilated mask on the thumbnail."""
        width, height = self.frame_size
        tw, th = self.thumb_size
        scale = np.array([tw / width, th / height])
        points = np.round(polygon.reshape(-1, 2).astype(np.float64) * scale).astype(np.int32)
        mask: np.ndarray = np.zeros((th, tw), dtype=np.uint8)
        cv2.fillPoly(mask, [points], 1)
        if self.zone_margin > 0:
            size = 2 * self.zone_margin + 1
            mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
        return np.flatnonzero(mask)

    def thumbnail(self, image: np.ndarray) -> np.ndarray:
        """The blurred grey float32 thumbnail the gate compares; a thumbnail passes through."""
        tw, th = self.thumb_size
        if image.ndim == 2 and image.shape == (th, tw):
            grey = image
        else:
            aspect = (image.shape[1] * self.frame_size[1]) / (image.shape[0] * self.frame_size[0])
            if abs(aspect - 1) > 0.02:
                raise ValueError(
                    f"image is {image.shape[1]}x{image.shape[0]}, not the "
                    f"{self.frame_size[0]}x{self.frame_size[1]} shape the zones were placed on; "
                    "call set_zones with the new frame size"
                )
            small = area_thumbnail(image, tw, th)
            grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return cv2.GaussianBlur(grey.astype(np.float32), (3, 3), 0)

    def decide(self, image: np.ndarray, offset_s: float) -> GateDecision:
        """Whether to run the detector on this look; does not move the reference."""
        current = self.thumbnail(image).ravel()
        self._last = (image, current)  # mark_inferred on the same image reuses it
        self.looks += 1
        if self._reference is None:
            return self._count(GateDecision(True, "first"))
        fractions = tuple(self._changed_fraction(current, i) for i in range(len(self._masks)))
        changed = tuple(i for i, f in enumerate(fractions) if f > self.area_fraction)
        if changed:
            return self._count(GateDecision(True, "changed", changed, fractions))
        since = offset_s - self._reference_offset
        if since >= self.refresh_s or since < 0:
            return self._count(GateDecision(True, "refresh", (), fractions))
        return self._count(GateDecision(False, "unchanged", (), fractions))

    def mark_inferred(self, image: np.ndarray, offset_s: float) -> None:
        """Record the look that went through the detector as the reference for later looks."""
        cached_image, cached = self._last
        reference = cached if cached_image is image else self.thumbnail(image).ravel()
        self._last = (None, None)
        self._reference = reference
        self._reference_medians = [float(np.median(reference[m])) if m.size else 0.0 for m in self._masks]
        self._reference_offset = float(offset_s)

    def _changed_fraction(self, current: np.ndarray, zone: int) -> float:
        pixels, reference = self._masks[zone], self._reference
        if pixels.size == 0 or reference is None:  # no reference yet: nothing to compare with
            return 0.0
        now = current[pixels]
        gain = max(self._reference_medians[zone], 1.0) / max(float(np.median(now)), 1.0)
        gain = min(max(gain, 1 / _MAX_GAIN), _MAX_GAIN)
        diff = np.abs(now * gain - reference[pixels])
        return float(np.count_nonzero(diff > self.pixel_threshold)) / pixels.size

    def _count(self, decision: GateDecision) -> GateDecision:
        if decision.infer:
            self.inferred += 1
        else:
            self.skipped += 1
        return decision
