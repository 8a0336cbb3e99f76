"""Whether a camera's picture is usable: covered, dark, blurred or moved, judged from the analysed frames.

A camera can stream perfectly (online, not frozen) and still see nothing: a
bag over the lens, a lamp that failed at night, a lens smeared or knocked out
of focus. Each of these is decided from a small grey thumbnail of the frames
the pipeline analyses anyway, so the cost is one area resize of the luma
plane and a Laplacian at most once per ``every_s`` of stream time:

- **covered**: most of the picture is flat (blocks with almost no texture)
  while what still shows is lit: a cloth, a board, paint, a black bag over
  most of the view. Lit means the textured blocks' mean brightness (all the
  picture's when none is textured) reaches ``dark_mean``.
- **dark**: the whole picture has too little light for the detector (mean and
  95th-percentile brightness both low). A picture that is entirely black is
  dark: nothing tells a lens cap from a night without lights.
- **blurred**: the sharpness (variance of the Laplacian) is far below the
  camera's own reference, the median sharpness of its first healthy
  ``reference_s`` of stream time. Scenes differ in texture, so no absolute
  threshold works across cameras; until the reference exists, blur is not
  judged.
- **moved**: the view shifted from the one the camera had when its sharpness
  reference was taken (knocked, re-aimed): ORB features matched against that
  reference picture and a RANSAC homography (``video.view_shift``) move the
  picture's centre by more than ``moved_shift`` of its width. When too few
  features agree to fit one (a different light, a lorry filling the view, a
  view turned right away) nothing is concluded: dusk must not read as a
  knocked camera. A camera whose reference has fewer than
  ``moved_min_features`` key points (a flat top-down road) is not judged.
  The reference is kept: until the view is put back, or the camera's
  health is restarted, it stays moved.

A problem must hold on every analysed frame for ``confirm_s`` before it is
reported, and the picture must be healthy as long before it is cleared, so
a passing lorry filling the view or a headlight flash does not flap the
state. A move is confirmed sooner (``moved_confirm_s``, on view checks every
``moved_every_s``): the view check already ignores what moves in the scene,
and a knocked camera makes every violation on it wrong, so it must be known
within seconds. The reported start is the first analysed frame that showed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cv2
import numpy as np

from lanewatch.config import PictureHealthConfig
from lanewatch.video.frame import Frame
from lanewatch.video.health import SourceState
from lanewatch.video.view_shift import ViewReference

THUMB_WIDTH, THUMB_HEIGHT = 320, 180
BLOCK = 20  # thumbnail pixels per side of a texture block: 16 x 9 blocks


@dataclass(frozen=True, slots=True)
class PictureStats:
    """The measurements of one analysed picture (brightness 0–255)."""

    mean: float
    p95: float
    flat_fraction: float  # fraction of blocks with almost no texture
    lit_mean: float  # mean brightness of the textured blocks (of the whole picture when none is)
    sharpness: float  # variance of the Laplacian of the thumbnail


@dataclass(frozen=True, slots=True)
class PictureChange:
    """A change of the reported picture problem: ``kind`` None means the picture is healthy again."""

    kind: SourceState | None
    at: datetime
    offset_s: float
    detail: str


def camera_picture(service: PictureHealthConfig, overrides: dict[str, Any] | None) -> PictureHealthConfig:
    """The service's ``picture:`` settings with one camera's own thresholds over them (validated together).

    A camera looking into a dim car park needs a lower ``dark_mean``, one on a
    swaying pole a larger ``moved_shift``; the rest follow the service.
    """
    return PictureHealthConfig.model_validate({**service.model_dump(), **(overrides or {})})


def measure(grey: np.ndarray, flat_std: float) -> PictureStats:
    """Brightness, flatness and sharpness of a grey uint8 picture."""
    if grey.ndim != 2 or grey.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 grey picture, got {grey.dtype} of shape {grey.shape}")
    height, width = grey.shape[0] // BLOCK * BLOCK, grey.shape[1] // BLOCK * BLOCK
    if height == 0 or width == 0:
        raise ValueError(f"a {grey.shape[1]}x{grey.shape[0]} picture is smaller than one {BLOCK}px block")
    blocks = grey[:height, :width].astype(np.float32).reshape(height // BLOCK, BLOCK, width // BLOCK, BLOCK)
    flat = blocks.std(axis=(1, 3)) < flat_std
    textured = blocks.mean(axis=(1, 3))[~flat]
    mean = float(grey.mean())
    return PictureStats(
        mean=mean,
        p95=float(np.percentile(grey, 95)),
        flat_fraction=float(flat.mean()),
        lit_mean=float(textured.mean()) if textured.size else mean,
        sharpness=float(cv2.Laplacian(grey, cv2.CV_32F).var()),
    )


class PictureHealth:
    """One camera's picture judge; call ``check`` with each analysed frame (one thread).

    Returns a ``PictureChange`` when the reported problem starts, changes or ends,
    for ``HealthMonitor.on_picture``; None otherwise.
    """

    def __init__(self, config: PictureHealthConfig) -> None:
        self.config = config
        self.reference: float | None = None  # median sharpness of the first healthy pictures
        self.view: ViewReference | None = None  # the picture when the reference was taken, for "moved"
        self._samples: list[float] = []
        self._sampling_since: float | None = None
        self._last_offset: float | None = None
        self._moved_at: tuple[float, tuple[SourceState | None, str]] | None = None  # last view check and verdict
        self._reported: SourceState | None = None
        self._candidate: tuple[SourceState | None, float, datetime, str] | None = None  # kind, since offset, at, detail
        self.moved_periods: list[tuple[float, float | None]] = []  # stream offsets [start, end) of reported moves
        self._confirm_view = False  # set by a person who checked the zones: the next picture is the reference view

    @property
    def reported(self) -> SourceState | None:
        """The problem currently reported, None when the picture is healthy."""
        return self._reported

    def moved_at(self, offset_s: float) -> bool:
        """Whether stream time ``offset_s`` falls in a reported move (from the first shifted view it was seen on)."""
        return any(start <= offset_s and (end is None or offset_s < end) for start, end in self.moved_periods)

    def confirm_view(self) -> bool:
        """A person redrew or confirmed the zones: the next judged picture becomes the reference view.

        Ends ``moved`` at once (no ``confirm_s`` wait: a person looked). False until a reference exists.
        """
        if self.reference is None:
            return False
        self._confirm_view = True
        return True

    def check(self, frame: Frame) -> PictureChange | None:
        """Judge one frame (skipped when the previous judged frame is under ``every_s`` ago)."""
        if not self.config.enabled:
            return None
        if self._confirm_view:
            return self._take_view(frame)
        # 10% slack: sampled frames land a little early or late (key frames), and 0.99 s after a judged
        # frame is "the next second", not a reason to wait for a third.
        if self._last_offset is not None and frame.offset_s - self._last_offset < 0.9 * self.config.every_s:
            return None
        self._last_offset = frame.offset_s
        grey = frame.grey_thumbnail(THUMB_WIDTH, THUMB_HEIGHT)
        stats = measure(grey, self.config.flat_std)
        kind, detail = self.classify(stats)
        if kind is None and self.view is not None:
            kind, detail = self._moved(grey, frame.offset_s)
        if kind is None:
            self._learn(stats.sharpness, grey, frame.offset_s)
        return self._debounce(kind, detail, frame)

    def _moved(self, grey: np.ndarray, offset_s: float) -> tuple[SourceState | None, str]:
        """The view check's verdict; ORB costs a few ms, so it runs every ``moved_every_s`` and is reused between."""
        assert self.view is not None
        if self._moved_at is not None and offset_s - self._moved_at[0] < 0.9 * self.config.moved_every_s:
            return self._moved_at[1]
        shift = self.view.compare(grey)
        verdict: tuple[SourceState | None, str] = (None, "picture healthy")
        if shift.shift is not None and shift.shift > self.config.moved_shift:
            verdict = (
                SourceState.MOVED,
                f"the view shifted by {shift.shift:.0%} of its width ({shift.inliers} features): its violations are "
                "unreliable; redraw or confirm the zones in the zone editor",
            )
        self._moved_at = (offset_s, verdict)
        return verdict

    def classify(self, stats: PictureStats) -> tuple[SourceState | None, str]:
        """The problem these measurements show (covered before dark before blurred), and why."""
        c = self.config
        if stats.flat_fraction >= c.covered_fraction and stats.lit_mean >= c.dark_mean:
            return SourceState.COVERED, f"{stats.flat_fraction:.0%} of the picture has no texture"
        if stats.mean < c.dark_mean and stats.p95 < c.dark_p95:
            return SourceState.DARK, f"mean brightness {stats.mean:.0f}, 95th percentile {stats.p95:.0f} (of 255)"
        if self.reference is not None and stats.sharpness < c.blurred_ratio * self.reference:
            return (
                SourceState.BLURRED,
                f"sharpness {stats.sharpness:.0f} is {stats.sharpness / self.reference:.0%} of the reference "
                f"{self.reference:.0f}",
            )
        return None, "picture healthy"

    def _learn(self, sharpness: float, grey: np.ndarray, offset_s: float) -> None:
        """Collect healthy pictures' sharpness for ``reference_s``; the median becomes the reference.

        The picture that completes it becomes the reference view, if it has enough features.
        """
        if self.reference is not None:
            return
        if self._sampling_since is None:
            self._sampling_since = offset_s
        self._samples.append(sharpness)
        if offset_s - self._sampling_since >= self.config.reference_s and len(self._samples) >= 3:
            self.reference = float(np.median(self._samples))
            self._samples = []
            view = ViewReference(grey)
            self.view = view if view.features >= self.config.moved_min_features else None

    def _take_view(self, frame: Frame) -> PictureChange | None:
        """The confirmed view replaces the reference view; a reported move ends on this frame."""
        self._confirm_view = False
        grey = frame.grey_thumbnail(THUMB_WIDTH, THUMB_HEIGHT)
        view = ViewReference(grey)
        self.view = view if view.features >= self.config.moved_min_features else None
        self._moved_at, self._candidate, self._last_offset = None, None, frame.offset_s
        if self._reported is not SourceState.MOVED:
            return None
        return self._report(None, frame.offset_s, frame.timestamp, "zones confirmed: new reference view")

    def _report(self, kind: SourceState | None, since: float, at: datetime, detail: str) -> PictureChange:
        """Report ``kind`` from ``since``, keeping the periods of moves (violations raised in one are unreliable)."""
        if self._reported is SourceState.MOVED and self.moved_periods:
            self.moved_periods[-1] = (self.moved_periods[-1][0], since)
        if kind is SourceState.MOVED:
            self.moved_periods = [*self.moved_periods[-9:], (since, None)]
        self._reported = kind
        return PictureChange(kind, at, since, detail)

    def _debounce(self, kind: SourceState | None, detail: str, frame: Frame) -> PictureChange | None:
        if kind == self._reported:
            self._candidate = None
            return None
        if self._candidate is None or self._candidate[0] != kind:
            self._candidate = (kind, frame.offset_s, frame.timestamp, detail)
        _, since, at, first_detail = self._candidate
        confirm_s = self.config.moved_confirm_s if kind is SourceState.MOVED else self.config.confirm_s
        if frame.offset_s - since < confirm_s:
            return None
        self._candidate = None
        return self._report(kind, since, at, first_detail if kind is not None else "picture healthy again")
