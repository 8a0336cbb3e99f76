"""The README's speaker examples are settings the service accepts, and render the requests they promise."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import yaml

from lanewatch.config import ServiceSettings
from lanewatch.events.speaker import build_request, values

README = Path(__file__).resolve().parents[2] / "README.md"


def _speaker_examples() -> list[dict]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### On-site speaker warning") :]
    section = section[: section.index("\n## ")]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    return [yaml.safe_load(b) for b in blocks if b.startswith("speakers:")]


def test_every_readme_example_is_accepted() -> None:
    examples = _speaker_examples()
    assert len(examples) == 2
    targets = [t for example in examples for t in ServiceSettings(**example).speakers]
    assert {t.method for t in targets} == {"GET", "PUT", "POST"}


def test_the_gateway_example_speaks_chinese() -> None:
    [gateway] = [t for t in ServiceSettings(**_speaker_examples()[1]).speakers if t.name == "广播网关"]
    violation = {
        "id": "v1",
        "camera": "gate-2",
        "zone": "east",
        "zone_name": "东侧消防通道",
        "label": "truck",
        "violation_at": datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
    }
    request = build_request(gateway, values(gateway, violation, camera_name="2号门", call=1, lasted_s=125))
    assert request.body is not None
    assert json.loads(request.body)["tts"] == "东侧消防通道禁止停车，请货车立即驶离，已占用2分05秒"
