"""open_source picks the source class; redact_url keeps camera passwords out of text."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanewatch.config import SourceConfig
from lanewatch.video import FileSource, ImageFolderSource, LiveSource, SourceError, open_source, redact_url


@pytest.mark.parametrize(
    ("url", "expected", "live"),
    [
        ("rtsp://admin:pw@10.0.0.5:554/Streaming/Channels/101", LiveSource, True),
        ("RTSPS://10.0.0.5:322/stream1", LiveSource, True),
        ("{footage}/pklot-ufpr05/sequence0/frames", ImageFolderSource, False),
        ("{footage}/parking-aisle/lot-busy.mp4", FileSource, False),
    ],
)
def test_picks_the_class_from_the_url(footage_dir: Path, url: str, expected: type, live: bool) -> None:
    source = open_source(SourceConfig(camera="c1", url=url.format(footage=footage_dir)))
    assert type(source) is expected
    assert source.live is live and source.camera == "c1" and source.frame_size is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/nowhere/cam.mp4", "no such file or folder"),
        ("http://admin:pw@cam/snapshot.jpg", "unsupported scheme 'http'"),
    ],
)
def test_unknown_sources_are_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(SourceError, match=message) as raised:
        open_source(SourceConfig(camera="c1", url=url))
    assert "c1" in str(raised.value) and ":pw@" not in str(raised.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rtsp://admin:pw@10.0.0.5:554/a", "rtsp://***@10.0.0.5:554/a"),
        ("rtsps://user@host/a", "rtsps://***@host/a"),
        ("rtsp://admin:p@ss@host/a", "rtsp://***@host/a"),  # unescaped @ in the password
        ("rtsp://host/cam?channel=1&user=admin&password=pw", "rtsp://host/cam?channel=1&user=***&password=***"),
        ("[Errno 111] Connection refused: 'rtsp://a:b@h/x'", "[Errno 111] Connection refused: 'rtsp://***@h/x'"),
        ("rtsp://10.0.0.5/a", "rtsp://10.0.0.5/a"),
        ("/videos/cam@home.mp4", "/videos/cam@home.mp4"),
    ],
)
def test_redact_url(text: str, expected: str) -> None:
    assert redact_url(text) == expected
