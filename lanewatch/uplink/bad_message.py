"""The one error every part of the centre's apply step raises for a message it cannot apply.

Its own module so that the record path (`centre_apply`) and the heartbeat path (`heartbeat`) share it
without importing each other.
"""

from __future__ import annotations


class BadMessage(ValueError):
    """A message that cannot be applied; its text is the dead letter's reason."""
