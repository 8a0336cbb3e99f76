"""Choose which decoded frames are analysed, by stream time rather than frame count.

Cameras drop frames, change frame rate and deliver with jitter, so "every Nth
frame" drifts away from the analysis rate the dwell timers assume. Slots on a
fixed stream-time grid do not drift; re-anchoring the grid after a gap keeps a
late stream from emitting a burst of catch-up frames.
"""

from __future__ import annotations

# A frame this close before its slot counts as on time: PTS converted to float
# seconds is rarely exact (e.g. 24 frames of 1/24 s add up to 0.9999999 s).
_SLOT_TOLERANCE_S = 1e-3


class StreamTimeSampler:
    """Takes the first frame, then the first frame at or after each next slot.

    Slots lie ``1 / sample_fps`` seconds apart. Jitter around a slot does not
    move the grid; a gap longer than a slot moves the grid to the first frame
    after it, so the sampler never catches up by taking several frames in a row.
    Time running backwards by more than a slot (a stream that restarted its
    clock) re-anchors the grid as well, instead of waiting for the old time.
    """

    def __init__(self, sample_fps: float) -> None:
        if sample_fps <= 0:
            raise ValueError(f"sample_fps must be > 0, got {sample_fps}")
        self.interval_s = 1.0 / sample_fps
        self._next_slot: float | None = None
        self.early_s = _SLOT_TOLERANCE_S
        """How early before its slot a frame still counts. Decoding key frames only, the source widens
        it: key frames of a GOP equal to the interval arrive a few ms either side of their slot, and
        missing them would halve the looks."""
        self._last_taken: float | None = None

    def due(self, offset_s: float) -> bool:
        """Whether `take` would take a frame at ``offset_s`` now (changes nothing): a key frame's packet
        can be judged before it is decoded."""
        if self._restarts(offset_s):
            return True
        assert self._next_slot is not None
        return offset_s >= self._next_slot - self.early_s

    def take(self, offset_s: float) -> bool:
        """Whether the frame at ``offset_s`` seconds of stream time is analysed."""
        interval = self.interval_s
        if self._restarts(offset_s):
            return self._take(offset_s, next_slot=offset_s + interval)
        if not self.due(offset_s):
            return False
        assert self._next_slot is not None
        if offset_s >= self._next_slot + interval:
            # A whole slot passed without a frame: a gap. Start a new grid here.
            return self._take(offset_s, next_slot=offset_s + interval)
        return self._take(offset_s, next_slot=self._next_slot + interval)

    def _restarts(self, offset_s: float) -> bool:
        """No grid yet, or time went back by more than a slot: the frame is taken and anchors a new grid."""
        went_back = self._last_taken is not None and offset_s < self._last_taken - self.interval_s
        return self._next_slot is None or went_back

    def reset(self) -> None:
        """Forget the grid: the next frame is taken and anchors a new one."""
        self._next_slot = None
        self._last_taken = None

    def _take(self, offset_s: float, next_slot: float) -> bool:
        self._next_slot = next_slot
        self._last_taken = offset_s
        return True
