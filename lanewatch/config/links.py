"""Settings of the link between the sites and the centre over an MQTT broker (edge uplink, centre ingest)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from lanewatch.config.base import StrictModel

SITE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
"""A site code: in MQTT topics and in the centre's ids ``<site>.<camera>``, so no '.', '/', '+' or '#'."""


class BrokerLink(StrictModel):
    """How to reach the MQTT broker between the sites and the centre (Mosquitto, an EMQX cluster, ...)."""

    host: str = Field("127.0.0.1", min_length=1, title="Broker host")
    port: int = Field(1883, ge=1, le=65535, title="Broker port", description="8883 is usual with TLS.")
    username: str | None = Field(None, title="User name", description="One account per edge, one for the centre.")
    password: SecretStr | None = Field(None, title="Password")
    tls: bool = Field(False, title="TLS", description="Connect over TLS, checking the broker against the system CAs.")
    keepalive_s: int = Field(30, ge=5, le=3600, title="Keep-alive (s)")
    reconnect_max_s: float = Field(
        30.0, gt=0, title="Longest reconnect delay (s)", description="Reconnects back off from 0.5 s to this."
    )
    session_expiry_s: int = Field(
        7 * 86_400,
        ge=60,
        title="Broker session kept for (s)",
        description="MQTT 5 session expiry: how long the broker keeps this client's session while it is away.",
    )


class UplinkConfig(BrokerLink):
    """The edge role: forward this site's records to the centre through a durable outbox (README, "Edge and
    centre")."""

    enabled: bool = Field(False, title="Forward records to a centre")
    site: str = Field(
        "site",
        pattern=SITE_PATTERN,
        title="Site code",
        description="This site's code: the code of its organisation at the centre. Client id "
        "'lanewatch-edge-<site>', topics 'lanewatch/v1/site/<site>/<kind>'.",
    )
    outbox_max_rows: int = Field(
        100_000,
        ge=10,
        title="Outbox limit (entries)",
        description="When more wait, the oldest camera-health and device-status entries are dropped (counted "
        "as uplink_dropped); "
        "violations and alarms are kept even beyond the limit, and counted as over the limit.",
    )
    inflight: int = Field(50, ge=1, le=1000, title="Messages awaiting PUBACK at once")
    confirm_timeout_s: float = Field(
        30.0,
        gt=0,
        title="Resend unconfirmed after (s)",
        description="An entry leaves the outbox when the centre confirms it stored it; one the broker took "
        "but no centre confirmed this long after is sent again (a broker restart can lose it before any "
        "centre process has subscribed again).",
    )
    heartbeat_s: int = Field(
        30,
        ge=5,
        le=3600,
        title="Heartbeat every (s)",
        description="The edge tells the centre it is alive, its backlog and its oldest waiting entry this often "
        "(and at once after each connect; lanewatch/v1/site/<site>/heartbeat), so a quiet site is not taken "
        "for a dead one. Keep it well under the centre's site_offline_after_s.",
    )
    evidence_max_bytes: int = Field(
        4 * 1024 * 1024,
        ge=16 * 1024,
        le=64 * 1024 * 1024,
        title="Largest evidence picture sent (bytes)",
        description="A bigger picture travels as a note saying so. The message is base64, a third larger: keep "
        "the broker's limit above that (Mosquitto's message_size_limit/max_packet_size default to none, "
        "an EMQX listener's max_packet_size to 1 MB).",
    )


class CentreConfig(BrokerLink):
    """The centre role: take every site's records from the broker into this database (README, "Edge and centre")."""

    enabled: bool = Field(False, title="Ingest the sites' records")
    client_id: str = Field(
        "lanewatch-centre-1",
        min_length=1,
        max_length=64,
        pattern=r"^[^#+/]+$",
        title="Client id",
        description="One per centre process, fixed, so the broker keeps its session across restarts.",
    )
    share_group: str = Field(
        "centre",
        pattern=r"^[A-Za-z0-9_-]+$",
        title="Shared subscription group",
        description="Centre processes of one group split the messages ($share/<group>/lanewatch/v1/site/+/+).",
    )
    site_offline_after_s: int = Field(
        120,
        ge=10,
        le=86_400,
        title="Site offline after (s)",
        description="A site from which neither a message nor a heartbeat arrived this long is shown offline "
        "(/sites, /api/sites); about 3 × the edges' heartbeat_s.",
    )
    evidence_retention_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        title="Keep site pictures for (days)",
        description="`lanewatch uplink expire-evidence` deletes pictures received longer ago, with their "
        "register rows; none: kept until deleted by hand.",
    )
