"""Pydantic models for every setting, one source for CLI, API, docs and forms.

Every model is strict (``extra="forbid"``) so a typo in a config file is an
error, not a silently ignored option. Stages import their settings from
here; this package imports no stage. The models live in one module per
area; this module re-exports them so ``from lanewatch.config import ...``
is the one import path:

- ``base``: ``StrictModel``, ``TimeZoneName``
- ``cameras``: a camera's source and picture health
- ``detection``: detector, look refresh, tracker
- ``alarms``: webhooks, MQTT and GB/T 26875.3 ingest, alarm targets and escalation
- ``links``: edge uplink and centre ingest over an MQTT broker
- ``service``: ``ServiceSettings``, sign-in, ``load_settings``
"""

from lanewatch.config.alarms import (
    AlarmSettings,
    AlarmTarget,
    FirstEscalation,
    Gb26875Config,
    MqttConfig,
    WebhookConfig,
)
from lanewatch.config.base import StrictModel, TimeZoneName
from lanewatch.config.cameras import PictureHealthConfig, SourceConfig
from lanewatch.config.detection import DetectorConfig, LookConfig, TrackerConfig
from lanewatch.config.links import SITE_PATTERN, BrokerLink, CentreConfig, UplinkConfig
from lanewatch.config.service import ServiceSettings, SignInSettings, load_settings

__all__ = [
    "SITE_PATTERN",
    "AlarmSettings",
    "AlarmTarget",
    "BrokerLink",
    "CentreConfig",
    "DetectorConfig",
    "FirstEscalation",
    "Gb26875Config",
    "LookConfig",
    "MqttConfig",
    "PictureHealthConfig",
    "ServiceSettings",
    "SignInSettings",
    "SourceConfig",
    "StrictModel",
    "TimeZoneName",
    "TrackerConfig",
    "UplinkConfig",
    "WebhookConfig",
    "load_settings",
]
