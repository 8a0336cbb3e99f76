"""One way to make the paho client both roles use: MQTT 5, a persistent session, credentials, TLS."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from lanewatch.config import BrokerLink

TOPIC_ROOT = "lanewatch/v1/site"


def topic(site: str, kind: str) -> str:
    """``lanewatch/v1/site/<site>/<kind>``."""
    return f"{TOPIC_ROOT}/{site}/{kind}"


def confirm_topic(site: str) -> str:
    """Where the centre confirms what it stored of a site: ``lanewatch/v1/centre/<site>/confirm``."""
    return f"lanewatch/v1/centre/{site}/confirm"


def make_client(link: BrokerLink, client_id: str, *, manual_ack: bool = False) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    if link.username is not None:
        password = link.password.get_secret_value() if link.password is not None else None
        client.username_pw_set(link.username, password)
    if link.tls:
        client.tls_set()
    return client


def connect_properties(link: BrokerLink) -> Properties:
    """CONNECT properties: the broker keeps the session (``clean_start=False``) for `session_expiry_s`."""
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = link.session_expiry_s
    return properties
