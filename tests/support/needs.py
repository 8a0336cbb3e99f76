"""What to do when a real component the tests start (chromium, Mosquitto, PostgreSQL) is missing."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(message: str) -> NoReturn:
    """Skip visibly on a developer's machine; fail in CI (``CI=true``), so a broken install never passes as green."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required in CI: {message}")
    pytest.skip(message)
