"""Who made a request: a signed-in person or an API key, with its role and scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lanewatch.people.roles import Permission, allows
from lanewatch.people.scope import Scope


@dataclass(frozen=True, slots=True)
class Caller:
    """The person or key behind a request. ``pk`` is the person's or the key's own number."""

    pk: int
    name: str
    role: str
    kind: Literal["key", "person"] = "key"
    org_pk: int | None = None
    scope: Scope = field(default_factory=Scope.everything)
    language: str | None = None

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)
