"""Roles and what each may do.

A person has one of `PERSON_ROLES`; an API key (a machine) has one of
`KEY_ROLES`, kept from before people existed: ``operator`` acts like a duty
operator who may also handle violations, ``device`` only delivers alarm
messages. What a role may *see* is not here: every role reads inside its
scope (`lanewatch.people.scope`), except ``device``, which reads nothing.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """One thing a route lets a caller do."""

    READ = "read"
    VIOLATIONS_HANDLE = "violations.handle"  # acknowledge / resolve violations
    ALARMS_HANDLE = "alarms.handle"  # acknowledge / confirm / resolve alarms
    ALARMS_INGEST = "alarms.ingest"  # deliver sensor messages
    ZONES_EDIT = "zones.edit"
    CAMERAS_EDIT = "cameras.edit"
    DEVICES_EDIT = "devices.edit"
    DEVICES_TEST = "devices.test"  # test / maintenance mode of a device
    WEBHOOKS_MANAGE = "webhooks.manage"
    KEYS_MANAGE = "keys.manage"
    PEOPLE_MANAGE = "people.manage"
    ORGS_MANAGE = "orgs.manage"
    AUDIT_READ = "audit.read"


P = Permission
PERSON_ROLES = ("admin", "duty_operator", "property_manager", "viewer", "enterprise", "maintainer")
KEY_ROLES = ("viewer", "operator", "admin", "device")
ALL_ROLES = tuple(dict.fromkeys((*PERSON_ROLES, *KEY_ROLES)))

PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "duty_operator": frozenset({P.READ, P.VIOLATIONS_HANDLE, P.ALARMS_HANDLE, P.AUDIT_READ}),
    "operator": frozenset({P.READ, P.VIOLATIONS_HANDLE, P.ALARMS_HANDLE, P.ALARMS_INGEST, P.AUDIT_READ}),
    "property_manager": frozenset({P.READ, P.ZONES_EDIT, P.VIOLATIONS_HANDLE, P.AUDIT_READ}),
    "viewer": frozenset({P.READ}),
    "enterprise": frozenset({P.READ, P.DEVICES_TEST}),
    "maintainer": frozenset({P.READ, P.CAMERAS_EDIT, P.DEVICES_EDIT, P.DEVICES_TEST, P.AUDIT_READ}),
    "device": frozenset({P.ALARMS_INGEST}),
}


def check_person_role(role: str) -> str:
    """`role` if a person may have it, else a ValueError naming the choices."""
    if role not in PERSON_ROLES:
        raise ValueError(f"unknown role {role!r}: use one of {', '.join(PERSON_ROLES)}")
    return role


def within(role: str, ceiling: str) -> bool:
    """Whether `role` may do nothing that `ceiling` may not: nobody gives (or changes) a role above their own."""
    return PERMISSIONS.get(role, frozenset()) <= PERMISSIONS.get(ceiling, frozenset())


def allows(role: str, permission: Permission) -> bool:
    """Whether a caller with `role` may do `permission` (unknown roles may do nothing)."""
    return permission in PERMISSIONS.get(role, frozenset())
