"""FileSource on the shared footage and on synthetic, truncated and corrupt files."""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import av
import pytest

from lanewatch.config import SourceConfig
from lanewatch.video import FileSource, SourceError, SourceState, VideoDecoder
from lanewatch.video.file_source import EPOCH
from lanewatch.video.source import KeyframePacing

EPS = 1 / 24 + 1e-6  # one frame of lot-busy.mp4


@pytest.fixture(scope="module")
def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        pytest.skip("ffmpeg CLI not installed (Debian package ffmpeg)")
    return path


@pytest.fixture(scope="module")
def lot_busy(footage_dir: Path) -> Path:
    return footage_dir / "parking-aisle" / "lot-busy.mp4"


def run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=60)


def config(path: Path, **overrides: object) -> SourceConfig:
    return SourceConfig(camera="cam", url=str(path), **overrides)


def synthetic(ffmpeg: str, path: Path, *metadata: str, seconds: int = 8, gop: int = 10) -> Path:
    """A 10 fps H.264 test pattern with a key frame every ``gop`` frames."""
    args = [
        ffmpeg,
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=10",
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-g",
        str(gop),
        "-pix_fmt",
        "yuv420p",
    ]
    for item in metadata:
        args += ["-metadata", item]
    run(*args, str(path))
    return path


def test_one_frame_per_second_of_stream_time(lot_busy: Path) -> None:
    source = FileSource(config(lot_busy, sample_fps=1))
    frames = list(source.frames())
    assert len(frames) == 20
    assert [f.offset_s for f in frames] == pytest.approx([float(s) for s in range(20)], abs=EPS)
    assert [f.index for f in frames] == list(range(20))
    assert all(f.timestamp.tzinfo is not None for f in frames)
    assert frames[0].timestamp == EPOCH  # lot-busy.mp4 has no creation_time
    assert all(f.timestamp - frames[0].timestamp == timedelta(seconds=f.offset_s) for f in frames)
    assert frames[0].image.shape == (360, 640, 3) and frames[0].image.dtype.name == "uint8"
    assert source.frame_size == (640, 360)
    assert source.errors == 0
    assert [e.state for e in source.health.drain_events()] == [SourceState.ONLINE]


@pytest.mark.parametrize(
    ("decode", "expected_offsets"),
    [
        ("all", [float(s) for s in range(20)]),
        ("auto", [float(s) for s in range(20)]),  # its GOP (10.4 s) is longer than 1 s: decode all
        ("keyframes", [0.0, 10.4167]),  # lot-busy.mp4 has two key frames
    ],
)
def test_decode_modes(lot_busy: Path, decode: str, expected_offsets: list[float]) -> None:
    frames = list(FileSource(config(lot_busy, sample_fps=1, decode=decode)).frames())
    assert [f.offset_s for f in frames] == pytest.approx(expected_offsets, abs=EPS)


@pytest.mark.parametrize(("mode", "max_decoded"), [("all", 80), ("auto", 17), ("keyframes", 8)])
def test_auto_switches_to_keyframes_once_the_gop_fits_the_interval(
    ffmpeg: str, tmp_path: Path, mode: str, max_decoded: int
) -> None:
    path = synthetic(ffmpeg, tmp_path / "gop1s.mp4")  # 8 s, key frame every 1 s
    with av.open(str(path)) as container:
        decoder = VideoDecoder(
            container,
            mode=mode,
            sample_interval_s=2.0,
            origin=EPOCH,  # type: ignore[arg-type]
            on_error=pytest.fail,
            retry_demux=True,
        )
        decoded = [rel for _, rel in decoder.frames(threading.Event())]
    assert len(decoded) == max_decoded
    assert decoded[-1] == pytest.approx(7.9 if mode == "all" else 7.0)
    if mode == "auto":
        assert decoder.gop_s == pytest.approx(1.0) and decoder.keyframes_only


def test_each_key_frame_comes_out_as_soon_as_its_packet_is_in(ffmpeg: str, tmp_path: Path) -> None:
    """No frame-threading or reordering delay: with non-key frames skipped, that delay was whole GOPs."""
    path = synthetic(ffmpeg, tmp_path / "gop1s.mp4")
    with av.open(str(path)) as container:
        decoder = VideoDecoder(
            container, mode="keyframes", sample_interval_s=2.0, origin=EPOCH, on_error=pytest.fail, retry_demux=False
        )
        sent: list[int | None] = []
        demux = decoder._packets

        def recording(stop):
            for packet in demux(stop):
                sent.append(packet.pts)
                yield packet

        decoder._packets = recording  # type: ignore[method-assign]
        late = [len(sent) - 1 - sent.index(frame.pts) for frame, _ in decoder.frames(threading.Event())]
    assert len(late) == 8 and max(late) == 0  # every key frame came out of its own packet's decode call


def test_auto_mode_yields_the_sampled_frames(ffmpeg: str, tmp_path: Path) -> None:
    path = synthetic(ffmpeg, tmp_path / "gop1s.mp4")
    frames = list(FileSource(config(path, sample_fps=0.5, decode="auto")).frames())
    assert [f.offset_s for f in frames] == pytest.approx([0.0, 2.0, 4.0, 6.0])


@pytest.mark.parametrize(
    ("metadata", "overrides", "expected_start"),
    [
        ("creation_time=2024-05-01T08:30:00Z", {}, datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),
        (
            "creation_time=2024-05-01T08:30:00Z",
            {"start_time": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)},
            datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        ),
        (
            None,
            {"start_time": datetime(2025, 1, 2, 3, 4, 5), "timezone": "Europe/Berlin"},
            datetime(2025, 1, 2, 3, 4, 5, tzinfo=ZoneInfo("Europe/Berlin")),
        ),
        (None, {}, EPOCH),
    ],
)
def test_start_time(
    ffmpeg: str, tmp_path: Path, metadata: str | None, overrides: dict[str, object], expected_start: datetime
) -> None:
    path = synthetic(ffmpeg, tmp_path / "clip.mp4", *([metadata] if metadata else []), seconds=3)
    frames = list(FileSource(config(path, sample_fps=1, **overrides)).frames())
    assert [f.timestamp for f in frames] == [expected_start + timedelta(seconds=s) for s in range(3)]


def test_duration_limits_stream_time(lot_busy: Path) -> None:
    frames = list(FileSource(config(lot_busy, sample_fps=2, duration_s=3)).frames())
    assert [f.offset_s for f in frames] == pytest.approx([0, 0.5, 1, 1.5, 2, 2.5], abs=EPS)


def test_stop_ends_the_iteration(lot_busy: Path) -> None:
    source = FileSource(config(lot_busy, sample_fps=4))
    got = []
    for frame in source.frames():
        got.append(frame)
        if len(got) == 3:
            source.stop()
    assert len(got) == 3


def test_truncated_file_yields_the_frames_before_the_cut(ffmpeg: str, lot_busy: Path, tmp_path: Path) -> None:
    # The shared file keeps its index (moov) at the end; a recorder that writes it first
    # (+faststart) leaves a readable half when the disk fills or the power fails.
    whole = tmp_path / "faststart.mp4"
    run(ffmpeg, "-v", "error", "-y", "-i", str(lot_busy), "-c", "copy", "-movflags", "+faststart", str(whole))
    half = tmp_path / "half.mp4"
    data = whole.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    frames = list(FileSource(config(half, sample_fps=1)).frames())
    assert 5 <= len(frames) < 20
    assert [f.offset_s for f in frames] == pytest.approx([float(s) for s in range(len(frames))], abs=EPS)


def test_truncated_file_without_its_index_is_a_clear_error(lot_busy: Path, tmp_path: Path) -> None:
    half = tmp_path / "moov-lost.mp4"
    data = lot_busy.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"moov-lost\.mp4.*Invalid data"):
        list(FileSource(config(half)).frames())


def test_corrupt_bytes_mid_stream_do_not_stop_decoding(ffmpeg: str, lot_busy: Path, tmp_path: Path) -> None:
    ts = tmp_path / "clip.ts"
    run(ffmpeg, "-v", "error", "-y", "-i", str(lot_busy), "-c", "copy", "-f", "mpegts", str(ts))
    data = bytearray(ts.read_bytes())
    rng = random.Random(1)
    middle = len(data) // 3
    data[middle : middle + 40_000] = bytes(rng.randrange(256) for _ in range(40_000))
    ts.write_bytes(bytes(data))
    frames = list(FileSource(config(ts, sample_fps=1)).frames())
    assert len(frames) >= 18
    assert frames[-1].offset_s >= 18


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("missing.mp4", None, "does not exist"),
        ("folder", lambda p: p.mkdir(), "is not a file"),
        ("notes.mp4", lambda p: p.write_text("not a video"), "cannot open"),
    ],
)
def test_unusable_files_raise_source_error_naming_the_path(tmp_path: Path, name: str, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    if make:
        make(path)
    with pytest.raises(SourceError, match=message) as raised:
        list(FileSource(config(path)).frames())
    assert str(path) in str(raised.value)


def test_max_width_scales_frames_while_converting(footage_dir) -> None:
    from lanewatch.config import SourceConfig
    from lanewatch.video.file_source import FileSource

    config = SourceConfig(
        camera="c", url=str(footage_dir / "parking-aisle" / "lot-busy.mp4"), duration_s=2, max_width=320
    )
    frames = list(FileSource(config).frames())
    assert frames and all(f.image.shape == (180, 320, 3) for f in frames)
    wide = SourceConfig(camera="c", url=config.url, duration_s=1, max_width=1920)  # never upscales
    assert next(iter(FileSource(wide).frames())).image.shape == (360, 640, 3)


def test_auto_mode_does_not_flap_when_the_gop_jitters_around_the_interval() -> None:
    """Key frames 1.98–2.02 s apart with a 2 s sampling interval: keyframes-only stays on."""
    from unittest.mock import MagicMock

    from lanewatch.video.source import VideoDecoder

    container = MagicMock()
    decoder = VideoDecoder(
        container, mode="auto", sample_interval_s=2.0, origin=None, on_error=lambda _m: None, retry_demux=False
    )
    switches, state = 0, decoder.keyframes_only
    t = 0.0
    for gop in [2.0, 2.02, 1.98, 2.03, 2.0, 2.04, 1.99, 2.02]:
        decoder._on_keyframe(t)
        if decoder.keyframes_only != state:
            switches, state = switches + 1, decoder.keyframes_only
        t += gop
    assert decoder.keyframes_only and switches == 1  # switched on once, never off again
    for _ in range(3):  # the GOP really grows (a camera reconfigured to 4 s): back to decoding all
        decoder._on_keyframe(t)
        t += 4.0
    decoder._on_keyframe(t)
    assert not decoder.keyframes_only


@pytest.mark.parametrize(
    ("gop_frames", "first_offsets", "keyframes_only_at_end"),
    [
        (10, [0.0, 1.0, 2.0, 3.0], True),  # the expected 2 s GOP or shorter: key frames from the first packet on
        (40, [0.0, 4.0, 4.1, 4.2], False),  # longer than expected: the 2nd key frame turns full decoding on
    ],
)
def test_an_expected_gop_starts_auto_in_key_frame_mode(
    ffmpeg: str, tmp_path: Path, gop_frames: int, first_offsets: list[float], keyframes_only_at_end: bool
) -> None:
    """A live camera's first GOP is not decoded in full when its GOP is the usual one (many cameras connecting
    at once used to decode all their first GOPs at once); when it is longer, only the first GOP's looks are lost."""
    path = synthetic(ffmpeg, tmp_path / f"gop{gop_frames}.mp4", gop=gop_frames)
    with av.open(str(path)) as container:
        decoder = VideoDecoder(
            container,
            mode="auto",
            sample_interval_s=2.0,
            origin=EPOCH,
            on_error=pytest.fail,
            retry_demux=True,
            expected_gop_s=2.0,
        )
        assert decoder.keyframes_only
        decoded = [rel for _, rel in decoder.frames(threading.Event())]
    assert decoded[:4] == pytest.approx(first_offsets)
    assert decoder.keyframes_only is keyframes_only_at_end


def test_without_an_expected_gop_auto_decodes_everything_until_it_has_measured_one(ffmpeg: str, tmp_path: Path) -> None:
    path = synthetic(ffmpeg, tmp_path / "gop1s.mp4")
    with av.open(str(path)) as container:
        decoder = VideoDecoder(
            container, mode="auto", sample_interval_s=2.0, origin=EPOCH, on_error=pytest.fail, retry_demux=True
        )
        assert not decoder.keyframes_only
        decoded = [rel for _, rel in decoder.frames(threading.Event())]
    assert decoded[:11] == pytest.approx([i / 10 for i in range(11)])  # all of the first GOP, then key frames
    assert decoded[11] == pytest.approx(2.0)


def paced_decoder(container: av.container.InputContainer) -> VideoDecoder:
    return VideoDecoder(
        container, mode="keyframes", sample_interval_s=1.0, origin=EPOCH, on_error=pytest.fail, retry_demux=False
    )


def test_paced_key_frames_wait_for_the_consumer_and_the_oldest_undecoded_one_is_dropped(
    ffmpeg: str, tmp_path: Path
) -> None:
    """While the consumer is busy no key frame is decoded; a newer one replaces the one held (oldest first), and
    the one decoded when the consumer is ready keeps its own stream time."""
    path = synthetic(ffmpeg, tmp_path / "gop1s.mp4")  # 8 s at 10 fps, key frames at 0, 1, ..., 7 s
    with av.open(str(path)) as container:
        decoder = paced_decoder(container)
        demux, decode = decoder._packets, decoder._decode
        now = {"s": 0.0}
        decoded: list[float] = []

        def clocked(stop):
            for packet in demux(stop):
                if packet.pts is not None:
                    now["s"] = float(packet.pts * packet.time_base)
                yield packet

        def counted(packet):
            decoded.append(float(packet.pts * packet.time_base))
            return decode(packet)

        decoder._packets, decoder._decode = clocked, counted  # type: ignore[method-assign]
        superseded: list[float] = []
        pacing = KeyframePacing(
            ready=lambda: not 0.0 <= now["s"] < 2.5,
            wanted=lambda rel_s: True,
            superseded=lambda: superseded.append(now["s"]),
        )
        out = [rel for _, rel in decoder.frames(threading.Event(), pacing)]
    assert superseded == pytest.approx([1.0, 2.0])  # key frames 0 and 1 dropped undecoded, when 1 and 2 came
    assert decoded == pytest.approx([2.0, 3.0, 4.0, 5.0, 6.0, 7.0])  # nothing decoded that was not emitted
    assert out == pytest.approx([2.0, 3.0, 4.0, 5.0, 6.0, 7.0])  # stream time counted from key frame 0


def test_paced_key_frames_the_sampler_does_not_want_are_never_decoded(ffmpeg: str, tmp_path: Path) -> None:
    path = synthetic(ffmpeg, tmp_path / "gop1s.mp4")
    with av.open(str(path)) as container:
        decoder = paced_decoder(container)
        decode, decoded = decoder._decode, []

        def counted(packet):
            decoded.append(packet.pts)
            return decode(packet)

        decoder._decode = counted  # type: ignore[method-assign]
        superseded: list[int] = []
        pacing = KeyframePacing(
            ready=lambda: True, wanted=lambda rel_s: round(rel_s) % 3 == 0, superseded=lambda: superseded.append(1)
        )
        out = [rel for _, rel in decoder.frames(threading.Event(), pacing)]
    assert out == pytest.approx([0.0, 3.0, 6.0]) and len(decoded) == 3 and not superseded


def test_paced_decoding_hands_over_to_full_decoding_when_the_gop_outgrows_the_interval(
    ffmpeg: str, tmp_path: Path
) -> None:
    """``auto`` started in key-frame mode on a 4 s GOP: the held key frame is superseded by the next one,
    which starts full decoding, so no picture goes missing from there on."""
    path = synthetic(ffmpeg, tmp_path / "gop4s.mp4", gop=40)
    with av.open(str(path)) as container:
        decoder = VideoDecoder(
            container,
            mode="auto",
            sample_interval_s=2.0,
            origin=EPOCH,
            on_error=pytest.fail,
            retry_demux=True,
            expected_gop_s=2.0,
        )
        superseded: list[int] = []
        pacing = KeyframePacing(ready=lambda: False, wanted=lambda rel_s: True, superseded=lambda: superseded.append(1))
        out = [rel for _, rel in decoder.frames(threading.Event(), pacing)]
    assert superseded == [1] and not decoder.keyframes_only
    assert out == pytest.approx([4.0 + i / 10 for i in range(40)])


def test_key_frames_the_look_interval_skips_are_not_decoded(
    ffmpeg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1 s GOP watched once per 2 s: every other key frame would be decoded only to be thrown away."""
    path = synthetic(ffmpeg, tmp_path / "gop1s.mp4")
    decoded: list[int] = []
    decode = VideoDecoder._decode

    def counted(self, packet):  # type: ignore[no-untyped-def]
        decoded.append(packet.pts)
        return decode(self, packet)

    monkeypatch.setattr(VideoDecoder, "_decode", counted)
    frames = list(FileSource(config(path, sample_fps=0.5, decode="keyframes")).frames())
    assert [f.offset_s for f in frames] == pytest.approx([0.0, 2.0, 4.0, 6.0])
    assert len(decoded) == 4
