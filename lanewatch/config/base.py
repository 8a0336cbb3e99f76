"""The base of every settings model: strict (unknown keys rejected), and a checked time-zone name."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from lanewatch.words.times import time_zone_named


def _known_time_zone(name: str) -> str:
    time_zone_named(name)  # raises a ValueError naming the zone and giving examples
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]


class StrictModel(BaseModel):
    """Base for all settings: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")
