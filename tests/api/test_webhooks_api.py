"""/api/webhooks: CRUD with a write-only secret, validation, roles, deliveries and test deliveries."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from lanewatch.config import WebhookConfig
from lanewatch.store.outbox import WebhookDispatcher
from lanewatch.store.tables import OutboxRow, utcnow
from tests.support.webhook_receiver import Receiver

SECRET = "receiver-shared-secret-0001"


def _create(client, keys, **body):
    return client.post(
        "/api/webhooks", headers=keys.headers("admin"), json={"url": "https://hooks.example.com/lanewatch", **body}
    )


def test_crud_with_a_write_only_secret(client, keys) -> None:
    admin = keys.headers("admin")
    created = _create(client, keys, events=["violation.*", "camera.offline"], description="duty desk")
    assert created.status_code == 201
    hook = created.json()
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 30  # generated, shown once
    assert hook["events"] == ["violation.*", "camera.offline"] and hook["enabled"] is True
    pk = hook["pk"]
    masked = "****" + hook["secret"][-4:]
    assert client.get(f"/api/webhooks/{pk}", headers=admin).json()["secret"] == masked
    assert [h["secret"] for h in client.get("/api/webhooks", headers=admin).json()] == [masked]

    patched = client.patch(
        f"/api/webhooks/{pk}",
        headers=admin,
        json={"events": ["*"], "enabled": False, "secret": SECRET, "description": None},
    )
    assert patched.status_code == 200
    body = patched.json()
    assert (body["events"], body["enabled"], body["description"], body["secret"]) == (["*"], False, None, "****0001")
    assert body["url"] == "https://hooks.example.com/lanewatch"  # fields not sent stay

    assert client.delete(f"/api/webhooks/{pk}", headers=admin).status_code == 204
    assert client.get(f"/api/webhooks/{pk}", headers=admin).status_code == 404
    assert client.get("/api/webhooks", headers=admin).json() == []


def test_a_given_secret_is_kept(client, keys) -> None:
    assert _create(client, keys, secret=SECRET).json()["secret"] == SECRET


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://hooks.example.com/x"},
        {"url": "hooks.example.com/x"},
        {"url": "http://"},
        {"url": "http://exa mple.com/"},
        {"url": ""},
        {"url": "https://ok.example.com/", "events": []},
        {"url": "https://ok.example.com/", "events": ["sensor.*"]},
        {"url": "https://ok.example.com/", "events": ["violation"]},
        {"url": "https://ok.example.com/", "secret": "short"},
        {"url": "https://ok.example.com/", "colour": "red"},
        {"events": ["*"]},
    ],
)
def test_invalid_bodies_are_422(client, keys, body) -> None:
    response = client.post("/api/webhooks", headers=keys.headers("admin"), json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


@pytest.mark.parametrize("body", [{"url": "gopher://x"}, {"url": None}, {"enabled": None}, {"events": ["nope"]}])
def test_invalid_patches_are_422(client, keys, body) -> None:
    pk = _create(client, keys).json()["pk"]
    assert client.patch(f"/api/webhooks/{pk}", headers=keys.headers("admin"), json=body).status_code == 422


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/webhooks/999"),
        ("PATCH", "/api/webhooks/999"),
        ("DELETE", "/api/webhooks/999"),
        ("GET", "/api/webhooks/999/deliveries"),
        ("POST", "/api/webhooks/999/test"),
    ],
)
def test_unknown_webhooks_are_404(client, keys, method, path) -> None:
    kwargs = {"json": {"enabled": True}} if method == "PATCH" else {}
    response = client.request(method, path, headers=keys.headers("admin"), **kwargs)
    assert response.status_code == 404 and response.json() == {"detail": "no webhook 999"}


@pytest.mark.parametrize("role, status", [(None, 401), ("revoked", 401), ("viewer", 403), ("operator", 403)])
def test_only_admins(client, keys, role, status) -> None:
    headers = keys.headers(role) if role else {}
    assert client.get("/api/webhooks", headers=headers).status_code == status
    assert client.post("/api/webhooks", headers=headers, json={"url": "https://x.example.com/"}).status_code == status


def test_deliveries_show_attempts_and_errors(client, keys, runtime) -> None:
    pk = _create(client, keys).json()["pk"]
    with Session(runtime.engine) as session:
        session.add(
            OutboxRow(
                webhook_pk=pk,
                idempotency_key="v1:new",
                event_type="violation.new",
                payload={"type": "violation.new"},
                attempts=2,
                last_error="HTTP 502: bad gateway",
            )
        )
        session.add(
            OutboxRow(
                webhook_pk=pk,
                idempotency_key="v1:end",
                event_type="violation.end",
                payload={"type": "violation.end"},
                attempts=1,
                delivered_at=utcnow(),
            )
        )
        session.commit()
    got = client.get(f"/api/webhooks/{pk}/deliveries", headers=keys.headers("admin")).json()
    assert [(d["idempotency_key"], d["attempts"], d["last_error"], d["delivered_at"] is None) for d in got] == [
        ("v1:end", 1, None, False),
        ("v1:new", 2, "HTTP 502: bad gateway", True),
    ]  # most recent first
    assert got[0]["next_attempt_at"].endswith(("Z", "+00:00"))
    limited = client.get(f"/api/webhooks/{pk}/deliveries?limit=1", headers=keys.headers("admin")).json()
    assert len(limited) == 1
    assert client.get(f"/api/webhooks/{pk}/deliveries?limit=0", headers=keys.headers("admin")).status_code == 422
    client.delete(f"/api/webhooks/{pk}", headers=keys.headers("admin"))
    with Session(runtime.engine) as session:
        assert session.get(OutboxRow, got[0]["pk"]) is None  # deleted with the webhook


def test_a_test_delivery_is_queued_and_delivered_signed(client, keys, runtime) -> None:
    receiver = Receiver(SECRET)
    try:
        hook = _create(client, keys, url=receiver.url, secret=SECRET, events=["violation.end"]).json()
        queued = client.post(f"/api/webhooks/{hook['pk']}/test", headers=keys.headers("admin"))
        assert queued.status_code == 202
        delivery = queued.json()
        assert delivery["event_type"] == "webhook.test" and delivery["attempts"] == 0
        assert delivery["payload"]["type"] == "webhook.test" and delivery["payload"]["webhook"] == hook["pk"]
        listed = client.get(f"/api/webhooks/{hook['pk']}/deliveries", headers=keys.headers("admin")).json()
        assert [d["pk"] for d in listed] == [delivery["pk"]]

        dispatcher = WebhookDispatcher(runtime.engine, WebhookConfig(timeout_s=2))
        try:
            assert dispatcher.run_once() == 1
        finally:
            dispatcher.stop()
        [request] = receiver.requests
        assert request["valid"] and request["headers"]["X-Lanewatch-Event"] == "webhook.test"
        assert request["headers"]["X-Lanewatch-Delivery"] == str(delivery["pk"])
        assert json.loads(request["body"]) == delivery["payload"]
        done = client.get(f"/api/webhooks/{hook['pk']}/deliveries", headers=keys.headers("admin")).json()[0]
        assert done["attempts"] == 1 and done["delivered_at"] is not None
    finally:
        receiver.close()


def test_testing_a_disabled_webhook_is_409(client, keys) -> None:
    pk = _create(client, keys, enabled=False).json()["pk"]
    response = client.post(f"/api/webhooks/{pk}/test", headers=keys.headers("admin"))
    assert response.status_code == 409 and "disabled" in response.json()["detail"]


def test_schema_documents_the_routes(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/webhooks",
        "/api/webhooks/{pk}",
        "/api/webhooks/{pk}/deliveries",
        "/api/webhooks/{pk}/test",
        "/api/events",
    } <= set(paths)
    assert "text/event-stream" in paths["/api/events"]["get"]["responses"]["200"]["content"]
