"""The deployment examples in docs/deploy must stay true to the code: every YAML file loads through the
same loader as `lanewatch serve` and is for the role it says, the systemd units start a command line the
real CLI parser accepts (with the environment they set taking effect), and the Mosquitto ACL lets each
edge use only its own site's topics. An example that drifts from the settings model, the CLI or the
topics fails here, not at a site."""

from __future__ import annotations

import os
import pwd
import shlex
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import typer
import typer.core
from paho.mqtt.enums import CallbackAPIVersion

from lanewatch.cli import app
from lanewatch.config import ServiceSettings, load_settings
from lanewatch.uplink import heartbeat
from lanewatch.uplink.broker import confirm_topic, topic
from lanewatch.uplink.centre_apply import KINDS

DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy"
ROLES = {"one-machine.yaml": "one machine", "edge.yaml": "edge", "centre.yaml": "centre"}
UNITS = ("lanewatch-edge.service", "lanewatch-centre@.service")
SITE_KINDS = (*KINDS, heartbeat.KIND)
"""Every kind an edge publishes under lanewatch/v1/site/<site>/."""


@pytest.fixture(autouse=True)
def _no_lanewatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples are judged as files: a LANEWATCH_* variable of the machine must not hide a drift."""
    for name in list(os.environ):
        if name.startswith("LANEWATCH_"):
            monkeypatch.delenv(name)


def role(settings: ServiceSettings) -> str:
    """What a loaded config is for, by the settings that decide it."""
    if settings.uplink.enabled and settings.centre.enabled:
        return "both"
    if settings.uplink.enabled:
        return "edge"
    if settings.centre.enabled:
        return "centre"
    return "one machine"


def test_every_example_config_has_a_role() -> None:
    assert sorted(p.name for p in DEPLOY.glob("*.yaml")) == sorted(ROLES)


@pytest.mark.parametrize("name", sorted(ROLES))
def test_example_config_loads_for_its_role(name: str) -> None:
    settings = load_settings(DEPLOY / name)
    assert role(settings) == ROLES[name]
    if ROLES[name] == "edge":
        assert "uplink" in _yaml(name) and "site" in _yaml(name)["uplink"], "the edge example names its site"
        assert settings.uplink.site == "xq-01"
        assert settings.uplink.username and settings.uplink.password is not None
        assert settings.resolved_database_url.startswith("sqlite:///"), "an edge keeps its local SQLite store"
    if ROLES[name] == "centre":
        assert settings.resolved_database_url.startswith("postgresql://")
        assert settings.centre.client_id and settings.centre.share_group
    for link in (settings.uplink, settings.centre):
        if link.password is not None:
            assert "CHANGE-ME" in link.password.get_secret_value(), "secrets in the examples are placeholders"


def test_a_drifted_example_is_refused(tmp_path: Path) -> None:
    """The loader the examples go through rejects what the model does not know (so the test above can fail)."""
    drifted = tmp_path / "edge.yaml"
    drifted.write_text((DEPLOY / "edge.yaml").read_text().replace("outbox_max_rows:", "outbox_rows:"))
    with pytest.raises(ValueError, match="outbox_rows"):
        load_settings(drifted)


def _yaml(name: str) -> dict:
    import yaml

    return yaml.safe_load((DEPLOY / name).read_text())


def unit(name: str) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit as its sections' (key, value) lines, repeated keys kept in order."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in (DEPLOY / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{name}: {line!r} before any section"
        key, sep, value = line.partition("=")
        assert sep, f"{name}: {line!r} is not key=value"
        current.append((key.strip(), value.strip()))
    return sections


def one(section: list[tuple[str, str]], key: str) -> str:
    values = [v for k, v in section if k == key]
    assert len(values) == 1, f"{key}: {values}"
    return values[0]


def instance_environment(section: list[tuple[str, str]], instance: str) -> dict[str, str]:
    """The unit's Environment= lines for one instance (%i replaced)."""
    env: dict[str, str] = {}
    for key, value in section:
        if key == "Environment":
            for assignment in shlex.split(value.replace("%i", instance)):
                name, _, setting = assignment.partition("=")
                env[name] = setting
    return env


@pytest.mark.parametrize("name", UNITS)
def test_systemd_unit_starts_lanewatch_serve_as_the_cli_accepts_it(name: str) -> None:
    sections = unit(name)
    service = sections["Service"]
    assert one(service, "Restart") == "always"
    assert one(service, "User") not in ("", "root")
    assert Path(one(service, "WorkingDirectory")).is_absolute()
    assert "multi-user.target" in one(sections["Install"], "WantedBy")

    argv = shlex.split(one(service, "ExecStart"))
    assert Path(argv[0]).is_absolute() and argv[0].endswith("/bin/lanewatch"), argv[0]
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    command = group.get_command(group.make_context("lanewatch", [argv[1]]), argv[1])
    assert command is not None and argv[1] == "serve", f"no subcommand {argv[1]!r}"
    context = command.make_context(argv[1], argv[2:])  # parses, raises on an unknown option; starts nothing
    assert context.params["config"] == Path("/etc/lanewatch/lanewatch.yaml")


def test_centre_instances_get_their_own_client_id_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """`lanewatch-centre@1`, `@2`: the variables the template sets really override centre.yaml, per instance."""
    service = unit("lanewatch-centre@.service")["Service"]
    seen = []
    for instance in ("1", "2"):
        with monkeypatch.context() as patch:
            for variable, value in instance_environment(service, instance).items():
                assert variable.startswith("LANEWATCH_"), variable
                patch.setenv(variable, value)
            settings = load_settings(DEPLOY / "centre.yaml")
        assert role(settings) == "centre"
        assert settings.centre.client_id == f"lanewatch-centre-{instance}"
        seen.append((settings.centre.client_id, settings.port))
    assert len({client for client, _ in seen}) == 2 and len({port for _, port in seen}) == 2


def acl() -> dict[str, list[tuple[str, str]]]:
    """mosquitto.acl as user → [(access, topic filter)]; `topic <filter>` alone is readwrite."""
    users: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in (DEPLOY / "mosquitto.acl").read_text().splitlines():
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "user":
            current = users.setdefault(words[1], [])
        elif words[0] == "topic":
            assert current is not None, "every rule belongs to a user (no rules for anonymous clients)"
            access, pattern = (words[1], words[2]) if len(words) == 3 else ("readwrite", words[1])
            current.append((access, pattern))
        else:
            raise AssertionError(f"unexpected ACL line {raw!r}")
    return users


def matches(pattern: str, name: str) -> bool:
    """MQTT topic-filter matching: '+' one level, '#' the rest."""
    wanted, levels = pattern.split("/"), name.split("/")
    for i, part in enumerate(wanted):
        if part == "#":
            return True
        if i >= len(levels) or (part != "+" and part != levels[i]):
            return False
    return len(wanted) == len(levels)


def may(rules: list[tuple[str, str]], access: str, name: str) -> bool:
    return any(matches(pattern, name) for granted, pattern in rules if granted in (access, "readwrite"))


def edge_sites() -> dict[str, str]:
    """The edge accounts of the ACL, user → site (`edge-<site>`)."""
    return {user: user.removeprefix("edge-") for user in acl() if user.startswith("edge-")}


def test_acl_grants_each_edge_only_its_own_site() -> None:
    users = acl()
    sites = edge_sites()
    assert len(sites) >= 2, "the example shows more than one site, so 'only its own' is visible"
    for user, site in sites.items():
        rules = users[user]
        for kind in SITE_KINDS:
            assert may(rules, "write", topic(site, kind)), (user, kind)
        assert may(rules, "read", confirm_topic(site))
        for other in set(sites.values()) - {site}:
            assert not any(may(rules, access, topic(other, kind)) for access in ("read", "write") for kind in KINDS)
            assert not may(rules, "read", confirm_topic(other))
        assert not may(rules, "write", confirm_topic(site)), "only the centre confirms"
        assert not may(rules, "read", topic(site, "violation")), "an edge does not read the sites' records"


def test_acl_lets_the_centre_read_every_site_and_confirm() -> None:
    centre_user = load_settings(DEPLOY / "centre.yaml").centre.username
    assert centre_user is not None
    rules = acl()[centre_user]
    for site in (*edge_sites().values(), "any-new-site"):
        assert all(may(rules, "read", topic(site, kind)) for kind in SITE_KINDS)
        assert may(rules, "write", confirm_topic(site))
        assert not may(rules, "write", topic(site, "violation")), "the centre does not speak for a site"


def test_edge_example_matches_an_acl_account() -> None:
    settings = load_settings(DEPLOY / "edge.yaml")
    assert edge_sites().get(settings.uplink.username or "") == settings.uplink.site


@pytest.fixture
def example_broker(tmp_path: Path) -> Iterator[int]:
    """docs/deploy/mosquitto.conf and .acl on a real Mosquitto, plain on a free 127.0.0.1 port (no TLS)."""
    from tests.support.mosquitto import MosquittoUnavailable, find_mosquitto
    from tests.support.rtsp import free_port

    try:
        binary = find_mosquitto()
    except MosquittoUnavailable as exc:
        pytest.skip(str(exc))
    passwd = tmp_path / "passwd"
    passwd.touch()
    for user in acl():
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, f"pw-{user}"], check=True)
    swapped = {"password_file": f"password_file {passwd}", "acl_file": f"acl_file {DEPLOY / 'mosquitto.acl'}"}
    kept = []
    for line in (DEPLOY / "mosquitto.conf").read_text().splitlines():
        key = line.split(" ")[0]
        if key in ("listener", "certfile", "keyfile", "persistence", "persistence_location"):
            continue  # the example's TLS listener and /var/lib paths are a site's, not a test's
        kept.append(swapped.get(key, line))
    assert set(swapped) <= {line.split(" ")[0] for line in kept}, "the example names its password and ACL files"
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    # started as root, Mosquitto would switch to its own user, who cannot read pytest's private folder
    stay = f"user {pwd.getpwuid(os.geteuid()).pw_name}"
    config.write_text("\n".join([*kept, stay, "persistence false", f"listener {port} 127.0.0.1", ""]))
    log_path = tmp_path / "mosquitto.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"the example broker did not listen:\n{log_path.read_text()}"
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _client(port: int, user: str, heard: list[tuple[str, str]]) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=user, protocol=mqtt.MQTTv5)
    client.username_pw_set(user, f"pw-{user}")
    client.on_message = lambda _c, _u, message: heard.append((user, message.topic))
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


@pytest.mark.mqtt
def test_example_broker_keeps_each_edge_to_its_own_site(example_broker: int) -> None:
    """On a real Mosquitto with the example files: a site's records reach the centre, another site's topics
    stay closed to it, and each edge hears only its own confirmations."""
    centre_user = load_settings(DEPLOY / "centre.yaml").centre.username
    assert centre_user is not None
    first, second = sorted(edge_sites().items())[:2]
    heard: list[tuple[str, str]] = []
    clients = [_client(example_broker, user, heard) for user in (centre_user, first[0], second[0])]
    centre, edge, other = clients
    try:
        waits = [
            centre.subscribe(f"$share/centre/{topic('+', '+')}", qos=1),
            edge.subscribe(confirm_topic(first[1]), qos=1),
            edge.subscribe(confirm_topic(second[1]), qos=1),  # granted by Mosquitto, but nothing delivered
            other.subscribe(confirm_topic(second[1]), qos=1),
        ]
        time.sleep(0.5)
        assert all(rc == mqtt.MQTT_ERR_SUCCESS for rc, _ in waits)
        edge.publish(topic(first[1], "violation"), b"{}", qos=1).wait_for_publish(5)
        edge.publish(topic(second[1], "violation"), b"{}", qos=1).wait_for_publish(5)
        centre.publish(confirm_topic(first[1]), b"1", qos=1).wait_for_publish(5)
        centre.publish(confirm_topic(second[1]), b"1", qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 5
        expected = {
            (centre_user, topic(first[1], "violation")),
            (first[0], confirm_topic(first[1])),
            (second[0], confirm_topic(second[1])),
        }
        while set(heard) != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # anything the ACL let through by mistake would arrive by now
        assert sorted(heard) == sorted(expected)
    finally:
        for client in clients:
            client.loop_stop()
            client.disconnect()
