"""An edge signs in to the broker with its own account: a wrong password keeps everything in the outbox."""

from __future__ import annotations

import getpass
import subprocess
from collections.abc import Iterator

import pytest

from lanewatch.config import CentreConfig, UplinkConfig
from lanewatch.uplink.centre import CentreIngest
from lanewatch.uplink.publisher import UplinkPublisher
from tests.support.mosquitto import Mosquitto, MosquittoUnavailable
from tests.support.needs import unavailable
from tests.support.serve import wait_for
from tests.uplink import centre_view
from tests.uplink.conftest import SITE


@pytest.fixture
def locked_broker() -> Iterator[Mosquitto]:
    """Mosquitto that admits only the accounts edge-a (password 'right') and centre (password 'c')."""
    try:
        server = Mosquitto()
    except MosquittoUnavailable as exc:
        unavailable(str(exc))
    passwords = server.root / "passwords"
    for user, password in (("edge-a", "right"), ("centre", "c")):
        create = ["-c"] if not passwords.exists() else []
        subprocess.run(["mosquitto_passwd", "-b", *create, str(passwords), user, password], check=True)
    passwords.chmod(0o600)
    text = server.config_path.read_text().replace("allow_anonymous true", "allow_anonymous false")
    server.config_path.write_text(f"{text}password_file {passwords}\nuser {getpass.getuser()}\n")
    server.start()
    yield server
    server.close()


def test_the_edge_signs_in_with_its_account(make_edge, centre_engine, locked_broker) -> None:
    edge = make_edge()
    edge.violation("gate")
    link = {"enabled": True, "host": locked_broker.host, "port": locked_broker.port}
    centre = CentreIngest(centre_engine, CentreConfig(**link, username="centre", password="c"))
    centre.start()
    wrong = UplinkPublisher(edge.engine, UplinkConfig(**link, site=SITE, username="edge-a", password="wrong"))
    right = UplinkPublisher(edge.engine, UplinkConfig(**link, site=SITE, username="edge-a", password="right"))
    try:
        assert centre.subscribed.wait(20)
        wrong.start()
        assert (
            wait_for(lambda: "not authorised" in locked_broker.log_tail().lower() or wrong.counters()["connects"], 10)
            is not None
        )
        assert wrong.counters()["connects"] == 0 and edge.backlog() == 1
        wrong.stop()
        right.start()
        assert wait_for(lambda: edge.backlog() == 0, 20)
        assert len(centre_view.violations(centre_engine)) == 1
    finally:
        right.stop()
        wrong.stop()
        centre.stop()
