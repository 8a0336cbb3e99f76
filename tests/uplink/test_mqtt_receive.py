"""The shared store-until-it-works retry of both MQTT receivers (`lanewatch.mqtt_receive`)."""

from __future__ import annotations

import logging
import threading

from lanewatch.mqtt_receive import retry_until_stopped

log = logging.getLogger(__name__)


def test_a_failing_store_is_tried_again_until_it_works() -> None:
    tries: list[int] = []
    failures: list[int] = []

    def store() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise ConnectionError("database restarting")
        return "stored"

    got = retry_until_stopped(
        store, threading.Event(), log=log, what="test", on_failure=lambda: failures.append(1), max_delay_s=0.5
    )
    assert (got, len(tries), len(failures)) == ("stored", 3, 2)


def test_stopping_gives_up_without_storing() -> None:
    stopping = threading.Event()

    def store() -> str:
        stopping.set()  # the service stops while the database is still down
        raise ConnectionError("down")

    got = retry_until_stopped(store, stopping, log=log, what="test", on_failure=lambda: None, max_delay_s=30)
    assert got is None
