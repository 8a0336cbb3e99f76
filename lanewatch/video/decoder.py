"""The PyAV decoding loop that files and live streams share.

One PyAV stream, sampled by stream time before the costly BGR conversion;
in key-frame-only mode the consumer paces which key frames are decoded
(`KeyframePacing`). `Source` (in `video.source`) drives it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import av
import av.container

from lanewatch.video.container import AV_ERRORS

DecodeMode = Literal["auto", "all", "keyframes"]

# How far the sampling interval may fall short of the measured GOP in "auto" mode:
# to switch keyframes-only decoding on, and (wider) to keep it on.
_GOP_SLACK_ON = 0.05
_GOP_SLACK_OFF = 0.15
# A live camera's key-frame interval before its own is measured: CCTV cameras
# ship with a GOP of 25–50 frames at 25 fps (1–2 s).
ASSUMED_LIVE_GOP_S = 2.0

# A file whose demuxer fails this many times in a row is treated as ended.
_MAX_DEMUX_ERRORS = 20


@dataclass(frozen=True, slots=True)
class KeyframePacing:
    """What decides which key frames are decoded, and when, in key-frame-only mode (`VideoDecoder.frames`)."""

    ready: Callable[[], bool]
    """The consumer can take a picture of this camera now (a live camera's pipeline: it has none waiting)."""
    wanted: Callable[[float], bool]
    """Whether a key frame this many seconds after the first frame would be sampled at all."""
    superseded: Callable[[], None]
    """A held key frame was replaced by a newer one before it could be decoded: a look lost."""


class VideoDecoder:
    """Decodes the first video stream of an open container, packet by packet.

    A bad packet costs that packet, not the stream: decode errors are reported
    to ``on_error`` and skipped. ``mode="auto"`` measures the GOP from the
    spacing of key frames in stream time and, at each key frame (the only
    point where switching cannot corrupt the picture), decodes key frames only
    while the sampling interval is at least the GOP.

    ``expected_gop_s`` (``auto`` only) starts the decoder in key-frame mode when
    that GOP would fit the interval, instead of decoding everything until two
    key frames have been seen: a live source passes the GOP its previous
    connection measured, or the usual CCTV GOP on its first. Without it, N
    cameras connecting at once decode N whole GOPs at once: 64 1080p cameras
    took 30–40 s of both cores to get through that before their first regular
    look. If the stream's GOP turns out longer, the second key frame switches
    full decoding on, and only the looks between the first two key frames are
    missed.

    While decoding key frames only, each key frame is drained out of the
    decoder at once. FFmpeg holds pictures back for frame threads and for
    B-frame reordering until later packets have gone in; with non-key frames
    skipped those are the next *key frames*, so every look came out two GOPs
    late (4 s at a 2 s GOP, measured on the RTSP test server). Key frames
    decode on their own, so draining and resetting the decoder loses nothing.

    Attributes:
        origin: wall time of the first frame, or (when ``None`` was given) the
            wall clock at the first packet received.
        gop_s: last measured key-frame spacing in seconds, ``None`` until known.
        keyframes_only: whether non-key frames are currently skipped.
    """

    def __init__(
        self,
        container: av.container.InputContainer,
        *,
        mode: DecodeMode,
        sample_interval_s: float,
        origin: datetime | None,
        on_error: Callable[[str], None],
        retry_demux: bool,
        expected_gop_s: float | None = None,
    ) -> None:
        self._container = container
        self._stream = container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._time_base = float(self._stream.time_base or 0) or 1 / 90000
        rate = self._stream.average_rate or self._stream.guessed_rate
        self._frame_s = 1 / float(rate) if rate else None
        self._mode = mode
        self.interval_s = sample_interval_s
        self._on_error = on_error
        self._retry_demux = retry_demux
        self.origin = origin
        self.gop_s: float | None = None
        self.keyframes_only = False
        self._set_keyframes_only(
            mode == "keyframes"
            or (
                mode == "auto"
                and expected_gop_s is not None
                and sample_interval_s >= expected_gop_s * (1 - _GOP_SLACK_ON)
            )
        )
        self._last_key_s: float | None = None
        self._first_pts: int | None = None
        self._last_rel_s: float | None = None
        self._seen_key = False

    def frames(
        self, stop: threading.Event, pacing: KeyframePacing | None = None
    ) -> Iterator[tuple[av.VideoFrame, float]]:
        """Yields (frame, seconds since the first frame) until the input or ``stop`` ends it.

        With ``pacing``, key-frame-only decoding decodes only the key frames the sampler wants (at a
        1 s GOP and one look per 2 s, every other one), and a live source's consumer paces it: a wanted
        key frame's packet is held until ``pacing.ready()``, and a newer key frame replaces an
        undecoded one (``pacing.superseded``). Decoding a 1080p key frame costs 25–30 ms; a look that is
        dropped before it was decoded costs nothing, so an overloaded machine spends its cores on the
        looks it analyses instead of decoding looks its detector then throws away.
        """
        held: av.Packet | None = None
        for packet in self._packets(stop):
            if self.origin is None:
                self.origin = datetime.now(UTC)
            if packet.is_keyframe:
                self._seen_key = True
                if self._mode == "auto" and packet.pts is not None:
                    self._on_keyframe(packet.pts * self._time_base)
            if not (self.keyframes_only and self._seen_key):
                if held is not None and pacing is not None:  # full decoding took over at this newer key frame
                    pacing.superseded()
                    held = None
                yield from self._decode(packet)
                continue
            # Key frames only, and the demuxer flags them: the decoder would drop non-key frames anyway
            # (skip_frame), so they are not even sent. (Until a key-flagged packet is seen, all go in.)
            if packet.is_keyframe:
                if pacing is None:
                    yield from self._decode(packet)
                    continue
                if self._first_pts is None and packet.pts is not None:
                    self._first_pts = packet.pts  # stream time counts from here even if this one is dropped
                rel_s = self._packet_rel_s(packet)
                if rel_s is not None and not pacing.wanted(rel_s):
                    continue  # the sampler would not take it (a look interval longer than the GOP)
                if held is not None:
                    pacing.superseded()
                held = packet
            if held is not None and pacing is not None and pacing.ready():
                packet, held = held, None
                yield from self._decode(packet)

    def _decode(self, packet: av.Packet) -> Iterator[tuple[av.VideoFrame, float]]:
        try:
            decoded = packet.decode()
            if self.keyframes_only and packet.is_keyframe:
                decoded += self._drain()
        except AV_ERRORS as exc:
            self._on_error(f"undecodable packet at pts {packet.pts}: {exc}")
            return
        for frame in decoded:
            yield frame, self._relative_s(frame)

    def _packet_rel_s(self, packet: av.Packet) -> float | None:
        """Stream time of a packet, as `_relative_s` will give its frame; None before the first (key) frame."""
        if packet.pts is None or self._first_pts is None:
            return None
        return (packet.pts - self._first_pts) * self._time_base

    def _drain(self) -> list[av.VideoFrame]:
        """The pictures the decoder still holds back; leaves it ready for the next key frame."""
        context = self._stream.codec_context
        try:
            return list(context.decode(None))
        finally:
            context.flush_buffers()

    def _packets(self, stop: threading.Event) -> Iterator[av.Packet]:
        failures = 0
        while not stop.is_set():
            try:
                for packet in self._container.demux(self._stream):
                    failures = 0
                    yield packet
                    if stop.is_set():
                        return
                return
            except AV_ERRORS as exc:
                if not self._retry_demux:
                    raise
                failures += 1
                self._on_error(f"unreadable data: {exc}")
                if failures >= _MAX_DEMUX_ERRORS:
                    return

    def _on_keyframe(self, at_s: float) -> None:
        if self._last_key_s is not None and at_s > self._last_key_s:
            self.gop_s = at_s - self._last_key_s
            # Hysteresis: on when the interval is within 5 % of the GOP, off only once the GOP is
            # clearly longer (15 %), so a GOP that jitters around the interval does not flap.
            slack = _GOP_SLACK_OFF if self.keyframes_only else _GOP_SLACK_ON
            self._set_keyframes_only(self.interval_s >= self.gop_s * (1 - slack))
        self._last_key_s = at_s

    def _set_keyframes_only(self, on: bool) -> None:
        if on != self.keyframes_only:
            self._stream.codec_context.skip_frame = "NONKEY" if on else "DEFAULT"
            self.keyframes_only = on

    def _relative_s(self, frame: av.VideoFrame) -> float:
        if frame.pts is None:
            # RTSP's first frame often has no PTS (no RTCP sender report yet):
            # place it at the start, or one frame after the previous one.
            if self._last_rel_s is None:
                self._last_rel_s = 0.0
            elif self._frame_s is not None:
                self._last_rel_s += self._frame_s
            return self._last_rel_s
        if self._first_pts is None:
            self._first_pts = frame.pts
        self._last_rel_s = (frame.pts - self._first_pts) * self._time_base
        return self._last_rel_s
