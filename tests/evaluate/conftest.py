"""`--lang` sets the process's language (a command runs once per process); each test gets the default back."""

from __future__ import annotations

import pytest

from lanewatch.words import default_language, set_default_language


@pytest.fixture(autouse=True)
def _language_back():
    before = default_language()
    yield
    set_default_language(before)


@pytest.fixture
def english():
    """What `--lang en` does for one command: messages in English (the conftest above restores zh-CN)."""
    set_default_language("en")
