"""The CLI tests get the default language back after each command (see tests/evaluate/conftest.py)."""

from tests.evaluate.conftest import _language_back  # noqa: F401  (autouse fixture)
