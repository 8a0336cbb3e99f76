"""Information objects: each upload type packs and unpacks, sizes are checked, descriptions are GB18030."""

from __future__ import annotations

import pytest

from lanewatch.alarms.gb26875 import encode
from lanewatch.alarms.gb26875.info_objects import (
    ComponentAnalog,
    ComponentStatus,
    DataUnitError,
    DeviceOperationInfo,
    DeviceStatus,
    DeviceTime,
    SystemOperationInfo,
    SystemStatus,
    decode_description,
    decode_upload,
    encode_description,
)
from tests.alarms.gb26875.conftest import WHEN

TAG = bytes([15, 30, 10, 6, 5, 24])

OBJECTS = [
    (1, encode.system_status(1, 2, 0x0403, WHEN), 10, SystemStatus(1, 2, 0x0403, TAG)),
    (
        2,
        encode.component_status(12, 3, 96, 0x00020005, 0x0105, "二层水流指示器", WHEN),
        46,
        ComponentStatus(12, 3, 96, 0x00020005, 0x0105, "二层水流指示器", TAG),
    ),
    (
        3,
        encode.component_analog(11, 1, 99, 4_000_000_000, 4, -12, WHEN),
        16,
        ComponentAnalog(11, 1, 99, 4_000_000_000, 4, -12, TAG),
    ),
    (4, encode.operation_info(1, 1, 0b0100011, 9, WHEN), 10, SystemOperationInfo(1, 1, 0b0100011, 9, TAG)),
    (21, encode.device_status(0b1000001, WHEN), 7, DeviceStatus(0b1000001, TAG)),
    (24, encode.device_operation(0b0100000, 2, WHEN), 8, DeviceOperationInfo(0b0100000, 2, TAG)),
    (28, encode.device_time(WHEN), 6, DeviceTime(TAG)),
]


@pytest.mark.parametrize(("type_flag", "raw", "size", "expected"), OBJECTS, ids=[str(o[0]) for o in OBJECTS])
def test_each_upload_type_round_trips(type_flag, raw, size, expected):
    assert len(raw) == size  # the sizes of 8.3.1
    upload = decode_upload(encode.upload(type_flag, [raw, raw]))
    assert (upload.type_flag, upload.count, upload.known) == (type_flag, 2, True)
    assert upload.objects == (expected, expected)


def test_component_fields_are_little_endian_on_the_wire():
    raw = encode.component_status(1, 2, 42, 0x01020304, 0x0102, "", WHEN)
    assert raw[:3] == bytes([1, 2, 42])
    assert raw[3:7] == bytes([4, 3, 2, 1])
    assert raw[7:9] == bytes([2, 1])
    analog = encode.component_analog(1, 2, 31, 5, 3, -105, WHEN)
    assert analog[8:10] == (-105).to_bytes(2, "little", signed=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "needs a type flag"),
        (b"\x02", "needs a type flag"),
        (encode.upload(2, [encode.component_status(1, 1, 42, 1, 1, "", WHEN)])[:-1], "needs 48 bytes, got 47"),
        (bytes([21, 2]) + encode.device_status(1, WHEN), "needs 16 bytes, got 9"),
        (bytes([28, 0]) + encode.device_time(WHEN), "needs 2 bytes, got 8"),
    ],
)
def test_count_and_length_must_agree(data, message):
    with pytest.raises(DataUnitError, match=message):
        decode_upload(data)


def test_unknown_type_flags_are_kept_but_not_decoded():
    upload = decode_upload(bytes([26, 1, 3]) + "配置".encode("gb18030"))
    assert (upload.type_flag, upload.known, upload.objects) == (26, False, ())


def test_an_empty_upload_is_valid():
    assert decode_upload(bytes([2, 0])).objects == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3楼东走廊烟感", "3楼东走廊烟感"),
        ("  B1 消防泵房  ", "B1 消防泵房"),
        ("地下一层车库东侧手动报警按钮及声光警报器", "地下一层车库东侧手动报警按钮及"),  # 15 × 2 bytes fit, 16 do not
        (
            "B1" + "车库东侧手动报警按钮声光警报器",
            "B1" + "车库东侧手动报警按钮声光警报",
        ),  # 2 + 14 × 2: no half character
        ("A" * 40, "A" * 31),
        ("", ""),
    ],
)
def test_descriptions_are_gb18030_cut_on_a_character_boundary(text, expected):
    raw = encode_description(text)
    assert len(raw) == 31
    assert decode_description(raw) == expected


def test_space_padding_and_broken_bytes_never_fail():
    assert decode_description("泵房".encode("gb18030").ljust(31, b" ")) == "泵房"
    broken = b"\xff\xfe\x81" + "阀".encode("gb18030")
    assert decode_description(broken.ljust(31, b"\x00")).endswith("阀")


@pytest.mark.parametrize(
    "builder",
    [
        lambda: encode.system_status(256, 1, 1, WHEN),
        lambda: encode.component_status(1, 1, 1, 2**32, 1, "", WHEN),
        lambda: encode.component_analog(1, 1, 1, 1, 3, 40_000, WHEN),
        lambda: encode.device_status(1, b"\x00"),
        lambda: encode.upload(2, [b""] * 256),
        lambda: encode.analog_raw(3, 5000.0),
    ],
)
def test_builders_refuse_values_that_do_not_fit(builder):
    with pytest.raises(ValueError):
        builder()


@pytest.mark.parametrize(
    ("analog_type", "value", "raw"),
    [(3, 23.5, 235), (3, -10.5, -105), (4, 0.3, 3), (6, 12.5, 125), (2, 1.25, 125), (200, 17, 17)],
)
def test_analog_raw_uses_the_table_resolution(analog_type, value, raw):
    assert encode.analog_raw(analog_type, value) == raw
