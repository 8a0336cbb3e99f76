"""What each kind of route lets a caller do, as dependencies routers declare.

A route names the permission it needs (`lanewatch.people.roles.Permission`),
never a role: which roles hold which permission is one table in
`lanewatch.people.roles`, so a new role never means editing a router.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lanewatch.api.auth import authenticate, permitted, require_permission
from lanewatch.people.caller import Caller
from lanewatch.people.roles import Permission

Reader = Annotated[Caller, Depends(require_permission(Permission.READ))]
ViolationHandler = Annotated[Caller, Depends(require_permission(Permission.VIOLATIONS_HANDLE))]
AlarmHandler = Annotated[Caller, Depends(require_permission(Permission.ALARMS_HANDLE))]
AlarmIngester = Annotated[Caller, Depends(require_permission(Permission.ALARMS_INGEST))]
ZoneEditor = Annotated[Caller, Depends(require_permission(Permission.ZONES_EDIT))]
CameraEditor = Annotated[Caller, Depends(require_permission(Permission.CAMERAS_EDIT))]
DeviceEditor = Annotated[Caller, Depends(require_permission(Permission.DEVICES_EDIT))]
WebhookManager = Annotated[Caller, Depends(require_permission(Permission.WEBHOOKS_MANAGE))]
KeyManager = Annotated[Caller, Depends(require_permission(Permission.KEYS_MANAGE))]
Anyone = Annotated[Caller, Depends(authenticate)]
"""Any authenticated caller: for routes whose permission depends on what the body asks (`demand` it)."""


def demand(caller: Caller, permission: Permission) -> Caller:
    """`caller` if it may do `permission`, else the same 403 the dependencies give."""
    return permitted(caller, permission)
