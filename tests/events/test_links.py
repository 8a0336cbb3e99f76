"""Signed evidence links: they open one picture until they expire, and any change to them is refused."""

from __future__ import annotations

import stat

import pytest

from lanewatch.events.links import LinkSigner, load_or_create_secret

SIGNER = LinkSigner(b"s" * 64, valid_s=3600)


def _parts(path: str) -> tuple[str, int, str]:
    head, _, query = path.partition("?")
    params = dict(p.split("=") for p in query.split("&"))
    return head.removeprefix("/links/snapshot/").removesuffix(".jpg"), int(params["exp"]), params["sig"]


def test_a_link_opens_until_it_expires() -> None:
    vid, exp, sig = _parts(SIGNER.snapshot_path("cam1-lane-a-0001", now=1_000_000))
    assert vid == "cam1-lane-a-0001" and exp == 1_003_600
    assert SIGNER.check(vid, exp, sig, now=1_003_599) is None
    assert SIGNER.check(vid, exp, sig, now=1_003_600) == "expired"


@pytest.mark.parametrize(
    "forge",
    [
        lambda v, e, s: ("cam1-lane-a-0002", e, s),  # another violation
        lambda v, e, s: (v, e + 86_400, s),  # a later expiry
        lambda v, e, s: (v, e, s[:-1] + ("0" if s[-1] != "0" else "1")),  # one character of the signature
    ],
    ids=["other-violation", "later-expiry", "altered-signature"],
)
def test_an_altered_link_is_refused(forge) -> None:
    vid, exp, sig = forge(*_parts(SIGNER.snapshot_path("cam1-lane-a-0001", now=1_000_000)))
    assert SIGNER.check(vid, exp, sig, now=1_000_001) == "invalid"
    assert LinkSigner(b"t" * 64).check(*_parts(SIGNER.snapshot_path("v", now=0)), now=1) == "invalid"


def test_the_secret_is_made_once_private_and_kept(tmp_path) -> None:
    path = tmp_path / "data" / "link-secret"
    first = load_or_create_secret(path)
    assert len(first) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == first  # a restart keeps the links sent so far valid
    path.write_text("short\n")
    with pytest.raises(ValueError, match="too short"):
        load_or_create_secret(path)
