"""GET /links/snapshot/{id}.jpg: the evidence picture for whoever holds a message's signed link."""

from __future__ import annotations

import time

import pytest

from lanewatch.events.links import LinkSigner

V0 = "cam1-lane-a-0000"


@pytest.fixture
def signer(runtime) -> LinkSigner:
    runtime.links = LinkSigner(b"k" * 64, valid_s=600)
    return runtime.links


def test_a_signed_link_opens_the_annotated_picture_without_signing_in(client, runtime, signer) -> None:
    r = client.get(signer.snapshot_path(V0))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == (runtime.evidence_dir / "cam1/2026-06-01/v0.jpg").read_bytes()
    assert client.get(f"/api/violations/{V0}/snapshot.jpg").status_code == 401  # the API itself still asks


def test_a_changed_or_expired_link_is_refused_in_plain_words(client, signer) -> None:
    good = signer.snapshot_path(V0)
    other = good.replace(V0, "cam1-lane-a-0001")  # the same signature for another violation
    r = client.get(other, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 403 and "链接无效" in r.json()["detail"]
    old = LinkSigner(signer.secret, valid_s=600).snapshot_path(V0, now=time.time() - 3600)
    r = client.get(old, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 410 and "已过期" in r.json()["detail"]
    assert client.get(good.replace("sig=", "sig=zz")).status_code == 422


def test_a_good_link_to_a_violation_without_its_picture_is_a_clear_404(client, runtime, signer) -> None:
    (runtime.evidence_dir / "cam1/2026-06-01/v1.jpg").unlink()  # retention removed it
    for vid in ("cam1-lane-a-0001", "never-was"):
        r = client.get(signer.snapshot_path(vid))
        assert r.status_code == 404 and r.json()["detail"]


def test_without_a_signer_no_link_opens(client, runtime) -> None:
    link = LinkSigner(b"k" * 64).snapshot_path(V0)
    assert client.get(link).status_code == 404
