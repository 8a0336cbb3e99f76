"""Refusals of alarm ingest are in Chinese first, English when asked (Accept-Language: en / the API tests' default)."""

from __future__ import annotations

import json

import pytest

from lanewatch.alarms.messages import IngestSource
from lanewatch.alarms.payloads import parse_payload
from lanewatch.api.auth import create_api_key

HEARTBEAT = {"device_id": "smoke-1", "kind": "heartbeat"}
ZH = {"Accept-Language": "zh-CN"}


@pytest.mark.parametrize(
    "data, error",
    [
        (b"{nope", "消息内容不是有效的 JSON：Expecting property name enclosed in double quotes（第 1 行第 2 列）"),
        (b"\xff\xfe", "消息内容不是 UTF-8 文本"),
        (b"[]", "消息内容里没有消息（空数组）"),
        ({"messages": [HEARTBEAT], "gateway": "g1"}, "“messages”旁有多余的键：gateway"),
        ({"kind": "heartbeat"}, "device_id：缺少必填字段"),
        ({**HEARTBEAT, "value": "NaN"}, "value：应为有限的数字"),
        ({**HEARTBEAT, "colour": "red"}, "colour：未知字段"),
        ({**HEARTBEAT, "device_time": "2025-03-01T08:00:00"}, "device_time：时间须带时区"),
    ],
)
def test_payload_refusals_are_chinese_by_default(data, error) -> None:
    messages, errors = parse_payload(data, source=IngestSource.MQTT)
    assert messages == [] and len(errors) == 1 and errors[0].startswith(error), errors


def test_each_bad_item_is_named_by_its_index_in_chinese() -> None:
    _, errors = parse_payload([HEARTBEAT, {"kind": "boom"}, "text"], source=IngestSource.MQTT)
    assert errors[0].startswith("消息[1]：device_id：缺少必填字段；kind：应为以下之一："), errors
    assert errors[1] == "消息[2]：应为消息对象，收到的是 str"


@pytest.fixture
def device_key(runtime) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_api_key(runtime.engine, role='device', name='gateway-zh')}"}


def test_http_ingest_names_bad_items_in_chinese(client, device_key) -> None:
    body = [
        {"device_id": "smoke-b1", "kind": "alarm", "alarm_type": "fire"},
        {"device_id": "x", "kind": "reading", "value": "hot"},
        {"device_id": "y", "kind": "alarm"},
        {"device_id": "z", "kind": "battery", "value": 140},
    ]
    answer = client.post("/api/alarms/ingest", headers={**device_key, **ZH}, json=body).json()
    assert answer["accepted"] == 1
    assert answer["errors"] == [
        "消息[1]：value：应为数字",
        "消息[2]：报警消息需要“alarm_type”",
        "消息[3]：电量消息需要“value”（百分比，0 到 100）",
    ]


def test_http_ingest_answers_english_when_asked(client, device_key) -> None:
    body = [{"device_id": "smoke-b1", "kind": "alarm", "alarm_type": "fire"}, {"device_id": "y", "kind": "alarm"}]
    answer = client.post("/api/alarms/ingest", headers={**device_key, "Accept-Language": "en"}, json=body).json()
    assert answer["errors"] == ["item 1: alarm messages need 'alarm_type'"]


@pytest.mark.parametrize(
    "body, says",
    [
        ("{not json", "请求内容不是有效的 JSON"),
        ("[]", "请求内容里没有消息（空数组）"),
        ('{"messages": [], "extra": 1}', "“messages”旁有多余的键：extra"),
        ('{"device_id": "a", "kind": "alarm", "alarm_type": "fire", "device_time": "2026-06-01T08:00:00"}', "时区"),
    ],
)
def test_http_ingest_with_nothing_usable_says_why_in_chinese(client, device_key, body, says) -> None:
    headers = {**device_key, **ZH, "Content-Type": "application/json"}
    response = client.post("/api/alarms/ingest", headers=headers, content=body)
    assert response.status_code == 422
    answer = response.json()
    assert says in answer["detail"] and all(says in e["msg"] for e in answer["errors"][:1]), json.dumps(answer)


def test_a_scoped_key_is_told_in_chinese_to_register_the_device_first(client, keys, runtime) -> None:
    from sqlmodel import Session, select

    from lanewatch.store.people_tables import OrganisationRow

    with Session(runtime.engine) as session:
        root = session.exec(select(OrganisationRow).where(OrganisationRow.parent_pk == None)).first()  # noqa: E711
        assert root is not None
        plant = OrganisationRow(code="qy-plant", name="东方化工厂", kind="enterprise", parent_pk=root.pk)
        session.add(plant)
        session.commit()
        plant_pk = plant.pk
    key = create_api_key(runtime.engine, role="device", name="plant-gw", org_pk=plant_pk)
    headers = {"Authorization": f"Bearer {key}", **ZH}
    response = client.post(
        "/api/alarms/ingest", headers=headers, json={"device_id": "elsewhere-1", "kind": "heartbeat"}
    )
    assert response.status_code == 422
    assert "本密钥所属机构下没有设备“elsewhere-1”：请先在该机构登记" in response.json()["detail"]
