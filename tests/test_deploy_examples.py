"""The deployment examples in docs/deploy must stay true to the code: every YAML file loads through the
same loader as `lanewatch serve` and is for the role it says, the systemd units start a command line the
real CLI parser accepts (with the environment they set taking effect), and the Mosquitto ACL lets each
edge use only its own site's topics. An example that drifts from the settings model, the CLI or the
topics fails here, not at a site."""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import paho.mqtt.client as mqtt
import pytest
import typer
import typer.core
from paho.mqtt.enums import CallbackAPIVersion

from lanewatch.api.routers.events import KEEPALIVE_S
from lanewatch.cli import app
from lanewatch.config import ServiceSettings, UplinkConfig, load_settings
from lanewatch.uplink import heartbeat
from lanewatch.uplink.broker import confirm_topic, topic
from lanewatch.uplink.centre_apply import KINDS
from lanewatch.uplink.config_sync import config_topic
from lanewatch.uplink.publisher import MAX_UNCONFIRMED
from tests.support.needs import unavailable

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


ACLS = ("mosquitto.acl", "emqx-acl.conf")
"""The same topic rules for the two brokers of the examples (Mosquitto for a few sites, an EMQX cluster)."""


def acl(name: str = "mosquitto.acl") -> dict[str, list[tuple[str, str]]]:
    """An ACL example as user → [(access, topic filter)], access read / write / readwrite."""
    return emqx_acl() if name == "emqx-acl.conf" else mosquitto_acl()


def mosquitto_acl() -> dict[str, list[tuple[str, str]]]:
    """mosquitto.acl; `topic <filter>` alone is readwrite."""
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


EMQX_RULE = re.compile(r'\{allow, \{username, "([^"]+)"\}, (publish|subscribe|all), \[((?:"[^"]+"(?:, )?)+)\]\}\.')
EMQX_ACCESS = {"publish": "write", "subscribe": "read", "all": "readwrite"}


def emqx_acl() -> dict[str, list[tuple[str, str]]]:
    """emqx-acl.conf: only `allow` rules per username, then one final `{deny, all}.`, nothing else."""
    users: dict[str, list[tuple[str, str]]] = {}
    lines = [line.strip() for line in (DEPLOY / "emqx-acl.conf").read_text().splitlines()]
    rules = [line for line in lines if line and not line.startswith("%%")]
    assert rules[-1] == "{deny, all}.", "what no rule allows is denied"
    for line in rules[:-1]:
        found = EMQX_RULE.fullmatch(line)
        assert found is not None, f"unexpected ACL line {line!r}"
        user, action, topics = found.groups()
        users.setdefault(user, []).extend((EMQX_ACCESS[action], t) for t in re.findall(r'"([^"]+)"', topics))
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


def edge_sites(name: str = "mosquitto.acl") -> dict[str, str]:
    """The edge accounts of an ACL, user → site (`edge-<site>`)."""
    return {user: user.removeprefix("edge-") for user in acl(name) if user.startswith("edge-")}


@pytest.mark.parametrize("name", ACLS)
def test_acl_grants_each_edge_only_its_own_site(name: str) -> None:
    users = acl(name)
    sites = edge_sites(name)
    assert len(sites) >= 2, "the example shows more than one site, so 'only its own' is visible"
    for user, site in sites.items():
        rules = users[user]
        for kind in SITE_KINDS:
            assert may(rules, "write", topic(site, kind)), (user, kind)
        assert may(rules, "read", confirm_topic(site))
        assert may(rules, "read", config_topic(site)), "the centre's edits of its cameras and lanes"
        for other in set(sites.values()) - {site}:
            assert not any(may(rules, access, topic(other, kind)) for access in ("read", "write") for kind in KINDS)
            assert not may(rules, "read", confirm_topic(other))
        assert not may(rules, "write", confirm_topic(site)), "only the centre confirms"
        assert not may(rules, "read", topic(site, "violation")), "an edge does not read the sites' records"


@pytest.mark.parametrize("name", ACLS)
def test_acl_lets_the_centre_read_every_site_and_confirm(name: str) -> None:
    centre_user = load_settings(DEPLOY / "centre.yaml").centre.username
    assert centre_user is not None
    rules = acl(name)[centre_user]
    assert may(rules, "read", topic("+", "+")), "the centre's (shared) subscription itself"
    for site in (*edge_sites(name).values(), "any-new-site"):
        assert all(may(rules, "read", topic(site, kind)) for kind in SITE_KINDS)
        assert may(rules, "write", confirm_topic(site))
        assert may(rules, "write", config_topic(site)), "the centre keeps each site's config (retained)"
        assert not may(rules, "write", topic(site, "violation")), "the centre does not speak for a site"


@pytest.mark.parametrize("name", ACLS)
def test_edge_example_matches_an_acl_account(name: str) -> None:
    settings = load_settings(DEPLOY / "edge.yaml")
    assert edge_sites(name).get(settings.uplink.username or "") == settings.uplink.site


def test_emqx_and_mosquitto_acls_say_the_same() -> None:
    """One set of accounts and rules whichever broker the district runs (read/write as EMQX's
    subscribe/publish), so adding a site to one example and not the other fails here."""
    assert {user: sorted(rules) for user, rules in emqx_acl().items()} == {
        user: sorted(rules) for user, rules in mosquitto_acl().items()
    }


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


# --- nginx in front of the centre processes (docs/deploy/nginx-centre.conf) ---

NGINX = DEPLOY / "nginx-centre.conf"
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*|[{};]|[^\s{};"#]+')


@dataclass
class Directive:
    """One nginx directive: its name, its arguments and, for a block, the directives inside."""

    name: str
    args: list[str]
    block: list[Directive] | None = None

    def all(self, name: str) -> list[Directive]:
        return [d for d in self.block or [] if d.name == name]

    def one(self, name: str) -> Directive:
        found = self.all(name)
        assert len(found) == 1, f"{self.name} {' '.join(self.args)}: {len(found)} × {name}"
        return found[0]


def nginx_config(text: str) -> Directive:
    """The file as a tree of directives (quotes kept out, comments dropped)."""
    tokens = [t.strip('"') for t in TOKEN.findall(text) if not t.startswith("#")]
    stack = [Directive("main", [], [])]
    words: list[str] = []
    for token in tokens:
        if token in (";", "{"):
            assert words, f"{token!r} without a directive"
            directive = Directive(words[0], words[1:], [] if token == "{" else None)
            assert stack[-1].block is not None
            stack[-1].block.append(directive)
            if token == "{":
                stack.append(directive)
            words = []
        elif token == "}":
            assert not words and len(stack) > 1, "unbalanced braces"
            stack.pop()
        else:
            words.append(token)
    assert not words and len(stack) == 1, "the file ends inside a directive or block"
    return stack[0]


def nginx_size(value: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].lower() in units else int(value)


def nginx_seconds(value: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value).groups()  # type: ignore[union-attr]
    return int(number) * units[unit or "s"]


def https_server(config: Directive) -> Directive:
    http = Directive("http", [], config.block)  # the file is included inside nginx's http { }
    servers = [s for s in http.all("server") if any("ssl" in d.args for d in s.all("listen"))]
    assert len(servers) == 1, "one HTTPS server"
    return servers[0]


def instance_settings(monkeypatch: pytest.MonkeyPatch, instance: str) -> ServiceSettings:
    """centre.yaml as `lanewatch-centre@<instance>` loads it (with the unit's Environment= lines)."""
    service = unit("lanewatch-centre@.service")["Service"]
    with monkeypatch.context() as patch:
        for variable, value in instance_environment(service, instance).items():
            patch.setenv(variable, value)
        return load_settings(DEPLOY / "centre.yaml")


def test_nginx_balances_over_the_centre_instances_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """The upstream is lanewatch-centre@1..N at the ports and address the unit and centre.yaml give them."""
    config = nginx_config(NGINX.read_text())
    (upstream,) = config.all("upstream")
    servers = [d.args[0] for d in upstream.all("server")]
    assert len(servers) >= 2, "the example shows N centre processes"
    expected = []
    for instance in range(1, len(servers) + 1):
        settings = instance_settings(monkeypatch, str(instance))
        assert settings.host == "127.0.0.1", "the centre processes listen behind the proxy only"
        expected.append(f"{settings.host}:{settings.port}")
    assert servers == expected
    passes = {d.args[0] for location in https_server(config).all("location") for d in location.all("proxy_pass")}
    assert passes == {f"http://{upstream.args[0]}"}, "every location goes to the centre processes"


def event_stream_paths() -> list[str]:
    """The API's Server-Sent Events routes, from the real app's OpenAPI description."""
    from lanewatch.api.app import create_app

    app = create_app(SimpleNamespace())  # routes only: no runtime is used
    return [
        path
        for path, operations in app.openapi()["paths"].items()
        for operation in operations.values()
        if "text/event-stream" in operation.get("responses", {}).get("200", {}).get("content", {})
    ]


def test_nginx_does_not_buffer_the_event_stream() -> None:
    """Each SSE route has its own exact location that passes events on at once and outlives the keep-alives."""
    paths = event_stream_paths()
    assert paths == ["/api/events"]
    server = https_server(nginx_config(NGINX.read_text()))
    locations = {tuple(d.args): d for d in server.all("location")}
    for path in paths:
        location = locations.get(("=", path))
        assert location is not None, f"no `location = {path}`"
        assert location.one("proxy_buffering").args == ["off"]
        assert nginx_seconds(location.one("proxy_read_timeout").args[0]) >= 4 * KEEPALIVE_S
    assert ("/",) in locations, "everything else goes to the centre too"
    assert not server.all("proxy_buffering"), "the pages and the API keep nginx's buffering"


def test_nginx_accepts_what_the_api_accepts_and_says_it_was_https() -> None:
    config = nginx_config(NGINX.read_text())
    server = https_server(config)
    centre = load_settings(DEPLOY / "centre.yaml")
    limit = nginx_size(server.one("client_max_body_size").args[0])
    assert limit >= max(centre.max_body_bytes, ServiceSettings().max_body_bytes), "the API words its own 413"
    headers = {d.args[0].lower(): d.args[1] for d in server.all("proxy_set_header")}
    assert centre.sign_in.trust_forwarded_proto
    assert headers["x-forwarded-proto"] == "$scheme"
    assert headers["x-forwarded-for"] == "$proxy_add_x_forwarded_for", "the last entry is the caller"
    assert server.one("ssl_certificate").args[0].startswith("/etc/")  # placeholders, replaced by the site
    assert server.one("ssl_certificate_key").args[0].startswith("/etc/")
    plain = [s for s in config.all("server") if s is not server]
    assert [s.one("return").args[0] for s in plain] == ["301"], "plain HTTP only redirects to HTTPS"


def test_nginx_itself_accepts_the_example(tmp_path: Path) -> None:
    """`nginx -t` on the example inside a minimal nginx.conf, with a throw-away certificate for its TLS."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if binary is None:
        unavailable("nginx is not installed (Debian's `nginx`): the example is checked as parsed text only")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    server = https_server(nginx_config(NGINX.read_text()))
    site = NGINX.read_text()
    site = site.replace(server.one("ssl_certificate").args[0], str(cert))
    site = site.replace(server.one("ssl_certificate_key").args[0], str(key))
    (tmp_path / "site.conf").write_text(site)
    temp = "\n".join(f"  {kind}_temp_path {tmp_path};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n{temp}\n  include {tmp_path}/site.conf;\n}}\n"
    )
    checked = subprocess.run(
        [
            binary,
            "-t",
            "-q",
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "error.log"),
            "-c",
            str(tmp_path / "nginx.conf"),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


# --- the district's broker as an EMQX cluster (docs/deploy/emqx.conf, emqx-acl.conf) ---

HOCON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*|//[^\n]*|[{}\[\],=:]|[^\s{}\[\],=:"#]+')


def hocon(text: str) -> dict:
    """The subset of HOCON the example uses: objects (`a { }`, dotted keys), arrays, `=`, scalars as strings."""
    tokens = [t for t in HOCON_TOKEN.findall(text) if not t.startswith(("#", "//"))]
    position = 0

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def value() -> object:
        token = take()
        if token == "{":
            return members("}")
        if token == "[":
            items = []
            while tokens[position] != "]":
                items.append(value())
                if tokens[position] == ",":
                    take()
            take()
            return items
        return token.strip('"')

    def members(end: str | None) -> dict:
        found: dict = {}
        while position < len(tokens) and tokens[position] != end:
            key = take().strip('"')
            if tokens[position] in ("=", ":"):
                take()
            item = value()
            *parents, last = key.split(".")
            into = found
            for part in parents:
                into = into.setdefault(part, {})
            if isinstance(item, dict) and isinstance(into.get(last), dict):
                into[last].update(item)
            else:
                into[last] = item
            if position < len(tokens) and tokens[position] == ",":
                take()
        if end is not None:
            take()
        return found

    return members(None)


def emqx_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(KB|MB|GB)?", value).groups()  # type: ignore[union-attr]
    return int(number) * {"KB": 1024, "MB": 1024**2, "GB": 1024**3, None: 1}[unit]


def test_mosquitto_queues_what_200_edges_send_at_once_after_an_outage_for_2_centre_processes() -> None:
    settings = dict(
        line.split(" ", 1) for line in (DEPLOY / "mosquitto.conf").read_text().splitlines() if line and line[0] != "#"
    )
    assert int(settings["max_queued_messages"]) >= MAX_UNCONFIRMED * 200 // 2
    assert int(settings["max_inflight_messages"]) >= 1000  # a centre acknowledges after its commit


def test_emqx_takes_the_edges_evidence_and_keeps_sessions() -> None:
    config = hocon((DEPLOY / "emqx.conf").read_text())
    edge = load_settings(DEPLOY / "edge.yaml").uplink
    biggest = max(edge.evidence_max_bytes, UplinkConfig().evidence_max_bytes)
    assert emqx_bytes(config["mqtt"]["max_packet_size"]) >= biggest * 4 // 3 + 8 * 1024, "base64 evidence fits"
    assert int(config["mqtt"]["max_mqueue_len"]) >= MAX_UNCONFIRMED * 200 // 2, "200 edges' backlog, 2 centres"
    assert config["durable_sessions"]["enable"] == "true"
    assert len(config["cluster"]["static"]["seeds"]) >= 2 and config["cluster"]["discovery_strategy"] == "static"
    assert config["node"]["name"] in config["cluster"]["static"]["seeds"]
    assert "CHANGE-ME" in config["node"]["cookie"]


def test_emqx_listens_where_the_examples_connect_with_accounts_and_the_acl() -> None:
    config = hocon((DEPLOY / "emqx.conf").read_text())
    listeners = config["listeners"]
    assert listeners["tcp"]["default"]["enable"] == "false", "TLS only"
    port = int(listeners["ssl"]["default"]["bind"].rpartition(":")[2])
    for link in (load_settings(DEPLOY / "edge.yaml").uplink, load_settings(DEPLOY / "centre.yaml").centre):
        assert link.tls and link.port == port
    (authenticator,) = config["authentication"]
    assert authenticator["mechanism"] == "password_based" and authenticator["user_id_type"] == "username"
    authorization = config["authorization"]
    assert authorization["no_match"] == "deny"
    (source,) = authorization["sources"]
    assert source["type"] == "file" and Path(source["path"]).name == "lanewatch-acl.conf"
    # where the ACL file is meant to go, both files say so
    assert source["path"] in (DEPLOY / "emqx-acl.conf").read_text()


def test_emqx_examples_name_the_centres_shared_subscription() -> None:
    group = load_settings(DEPLOY / "centre.yaml").centre.share_group
    subscription = f"$share/{group}/{topic('+', '+')}"
    assert subscription in (DEPLOY / "emqx.conf").read_text()
    assert subscription in (DEPLOY / "emqx-acl.conf").read_text()
