"""The national code tables of GB/T 26875.3-2011 that lanewatch needs to name things.

Only names and units live here: a duty-desk operator reads "点型光电感烟火灾探测器",
not "component type 42", and the alarm registry wants a ``DeviceType`` hint
for a component it has never seen. Codes 128-255 are user-defined in every
table and are shown by number.
"""

from __future__ import annotations

from dataclasses import dataclass

from lanewatch.alarms.messages import DeviceType, Quantity

# 8.2.1.1, table 4: building fire-facility system types.
SYSTEM_TYPES: dict[int, str] = {
    0: "通用",
    1: "火灾报警系统",
    10: "消防联动控制器",
    11: "消火栓系统",
    12: "自动喷水灭火系统",
    13: "气体灭火系统",
    14: "水喷雾灭火系统(泵启动方式)",
    15: "水喷雾灭火系统(压力容器启动方式)",
    16: "泡沫灭火系统",
    17: "干粉灭火系统",
    18: "防烟排烟系统",
    19: "防火门及卷帘系统",
    20: "消防电梯",
    21: "消防应急广播",
    22: "消防应急照明和疏散指示系统",
    23: "消防电源",
    24: "消防电话",
}

# 8.2.1.2, table 5: building fire-facility component types.
COMPONENT_TYPES: dict[int, str] = {
    0: "通用",
    1: "火灾报警控制器",
    10: "可燃气体探测器",
    11: "点型可燃气体探测器",
    12: "独立式可燃气体探测器",
    13: "线型可燃气体探测器",
    16: "电气火灾监控报警器",
    17: "剩余电流式电气火灾监控探测器",
    18: "测温式电气火灾监控探测器",
    21: "探测回路",
    22: "火灾显示盘",
    23: "手动火灾报警按钮",
    24: "消火栓按钮",
    25: "火灾探测器",
    30: "感温火灾探测器",
    31: "点型感温火灾探测器",
    32: "点型感温火灾探测器(S型)",
    33: "点型感温火灾探测器(R型)",
    34: "线型感温火灾探测器",
    35: "线型感温火灾探测器(S型)",
    36: "线型感温火灾探测器(R型)",
    37: "光纤感温火灾探测器",
    40: "感烟火灾探测器",
    41: "点型离子感烟火灾探测器",
    42: "点型光电感烟火灾探测器",
    43: "线型光束感烟火灾探测器",
    44: "吸气式感烟火灾探测器",
    50: "复合式火灾探测器",
    51: "复合式感烟感温火灾探测器",
    52: "复合式感光感温火灾探测器",
    53: "复合式感光感烟火灾探测器",
    61: "紫外火焰探测器",
    62: "红外火焰探测器",
    69: "感光火灾探测器",
    74: "气体探测器",
    78: "图像摄像方式火灾探测器",
    79: "感声火灾探测器",
    81: "气体灭火控制器",
    82: "消防电气控制装置",
    83: "消防控制室图形显示装置",
    84: "模块",
    85: "输入模块",
    86: "输出模块",
    87: "输入/输出模块",
    88: "中继模块",
    91: "消防水泵",
    92: "消防水箱",
    95: "喷淋泵",
    96: "水流指示器",
    97: "信号阀",
    98: "报警阀",
    99: "压力开关",
    101: "阀驱动装置",
    102: "防火门",
    103: "防火阀",
    104: "通风空调",
    105: "泡沫液泵",
    106: "管网电磁阀",
    111: "防烟排烟风机",
    113: "排烟防火阀",
    114: "常闭送风口",
    115: "排烟口",
    116: "电控挡烟垂壁",
    117: "防火卷帘控制器",
    118: "防火门监控器",
    121: "报警装置",
}

_HEAT = DeviceType.HEAT
_SMOKE = DeviceType.SMOKE
_GAS = DeviceType.GAS
_ELECTRICAL = DeviceType.ELECTRICAL
COMPONENT_DEVICE_TYPES: dict[int, DeviceType] = {
    1: DeviceType.TRANSMISSION_DEVICE,
    10: _GAS,
    11: _GAS,
    12: _GAS,
    13: _GAS,
    74: _GAS,
    16: _ELECTRICAL,
    17: _ELECTRICAL,
    18: _ELECTRICAL,
    23: DeviceType.MANUAL_CALL_POINT,
    30: _HEAT,
    31: _HEAT,
    32: _HEAT,
    33: _HEAT,
    34: _HEAT,
    35: _HEAT,
    36: _HEAT,
    37: _HEAT,
    52: _HEAT,
    40: _SMOKE,
    41: _SMOKE,
    42: _SMOKE,
    43: _SMOKE,
    44: _SMOKE,
    51: _SMOKE,
    53: _SMOKE,
    92: DeviceType.WATER_LEVEL,  # fire water tank: its analog value is a level
    99: DeviceType.WATER_PRESSURE,  # pressure switch
}

RESIDUAL_CURRENT_COMPONENT = 17
ELECTRICAL_COMPONENTS = frozenset({16, 17, 18})


@dataclass(frozen=True, slots=True)
class AnalogType:
    """One row of table 6: what an analog value measures, in which unit, at which resolution."""

    name: str
    unit: str
    step: float  # the value on the wire counts in steps of this many units
    quantity: Quantity  # the normalised quantity, OTHER when lanewatch has none for it
    to_quantity: float  # factor from the unit to the quantity's unit (kPa -> MPa: 0.001)


# 8.2.1.3, table 6: analog value types.
ANALOG_TYPES: dict[int, AnalogType] = {
    1: AnalogType("事件计数", "", 1, Quantity.OTHER, 1),
    2: AnalogType("高度", "m", 0.01, Quantity.LEVEL_M, 1),
    3: AnalogType("温度", "°C", 0.1, Quantity.TEMPERATURE_C, 1),
    4: AnalogType("压力", "MPa", 0.1, Quantity.PRESSURE_MPA, 1),
    5: AnalogType("压力", "kPa", 0.1, Quantity.PRESSURE_MPA, 0.001),
    6: AnalogType("气体浓度", "%LEL", 0.1, Quantity.GAS_LEL_PCT, 1),
    7: AnalogType("时间", "s", 1, Quantity.OTHER, 1),
    8: AnalogType("电压", "V", 0.1, Quantity.OTHER, 1),
    9: AnalogType("电流", "A", 0.1, Quantity.OTHER, 1),
    10: AnalogType("流量", "L/s", 0.1, Quantity.OTHER, 1),
    11: AnalogType("风量", "m³/min", 0.1, Quantity.OTHER, 1),
    12: AnalogType("风速", "m/s", 1, Quantity.OTHER, 1),
}


def system_type_name(code: int) -> str:
    """The table name of a system type, or its number for reserved and user-defined codes."""
    return SYSTEM_TYPES.get(code, f"系统类型{code}")


def component_type_name(code: int) -> str:
    """The table name of a component type, or its number for reserved and user-defined codes."""
    return COMPONENT_TYPES.get(code, f"部件类型{code}")


def component_device_type(code: int) -> DeviceType:
    """The registry's device type for a component type; OTHER for modules, valves, pumps..."""
    return COMPONENT_DEVICE_TYPES.get(code, DeviceType.OTHER)
