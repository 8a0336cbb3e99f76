"""A caller's scope, and the one helper that applies it wherever records are queried.

Outside a caller's scope a record does not exist: routers ask for rows
through `scoped` (or check one row with `Scope.allows`) and answer 404 for
anything else, so a router never re-implements the rule.

Cameras, devices, keys, webhooks and the centre's uplink sites carry ``org_pk`` themselves; zones,
violations, lane passages and camera health belong to their camera; alarms and device
messages to their device; people to their organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from lanewatch.people.orgs import OrgTree
from lanewatch.store.alarm_tables import AlarmAuditRow, AlarmRow, DeviceMessageRow, DeviceRow
from lanewatch.store.passage_tables import PassageRow
from lanewatch.store.people_tables import AuditRow, OrganisationRow, PersonRow
from lanewatch.store.tables import ApiKeyRow, CameraRow, HealthEventRow, ViolationRow, WebhookRow, ZoneRow
from lanewatch.store.uplink_tables import UplinkSiteRow

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])
"""Any select, of one entity or several (a row joined to its organisation): `scoped` hands back its own type."""


@dataclass(frozen=True, slots=True)
class Scope:
    """The organisations a caller sees; ``org_pks`` None means everything (an unscoped key, the district root)."""

    org_pks: frozenset[int] | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @classmethod
    def of_org(cls, session: Session, org_pk: int | None) -> Scope:
        """What a member of `org_pk` sees (None: the whole system). A root organisation sees everything,
        including records not yet given an organisation."""
        if org_pk is None:
            return cls.everything()
        return cls.in_tree(OrgTree.load(session), org_pk)

    @classmethod
    def in_tree(cls, tree: OrgTree, org_pk: int | None) -> Scope:
        """`of_org` on a tree already read (the key check reads it in the same query as the key)."""
        if org_pk is None:
            return cls.everything()
        node = tree.nodes.get(org_pk)
        if node is not None and node.parent_pk is None:
            return cls.everything()
        return cls(tree.overseen(org_pk))

    @property
    def unlimited(self) -> bool:
        return self.org_pks is None

    def allows(self, org_pk: int | None) -> bool:
        """Whether a record of organisation `org_pk` is visible (records without one: only to the unlimited)."""
        return self.org_pks is None or (org_pk is not None and org_pk in self.org_pks)

    def camera_ids(self, session: Session) -> frozenset[str] | None:
        """The cameras in scope (None: all), for filtering streams and in-memory lists."""
        if self.org_pks is None:
            return None
        return frozenset(session.exec(select(CameraRow.id).where(col(CameraRow.org_pk).in_(self.org_pks))).all())

    def device_ids(self, session: Session) -> frozenset[str] | None:
        """The sensor devices in scope (None: all)."""
        if self.org_pks is None:
            return None
        return frozenset(session.exec(select(DeviceRow.id).where(col(DeviceRow.org_pk).in_(self.org_pks))).all())


def scoped(query: Query, scope: Scope, model: type[Any]) -> Query:
    """`query` (a select of `model`) limited to `scope`. Raises TypeError for a model with no scope rule,
    so a new table cannot be served unfiltered by accident."""
    pks = scope.org_pks
    if pks is None:
        return query
    return scoped_to(query, pks, model)


def scoped_to(query: Query, pks: Any, model: type[Any]) -> Query:
    """`query` limited to the records of organisations `pks`: a collection, or a bound parameter that will
    hold one (``bindparam(..., expanding=True)``), for a statement built once and run with each scope."""
    if model in (CameraRow, DeviceRow, ApiKeyRow, WebhookRow, PersonRow, AuditRow, UplinkSiteRow):
        return query.where(col(model.org_pk).in_(pks))
    if model is OrganisationRow:
        return query.where(col(OrganisationRow.pk).in_(pks))
    cameras = select(CameraRow.id).where(col(CameraRow.org_pk).in_(pks))
    devices = select(DeviceRow.id).where(col(DeviceRow.org_pk).in_(pks))
    if model is ViolationRow:
        return query.where(col(ViolationRow.camera).in_(cameras))
    if model is ZoneRow:
        return query.where(col(ZoneRow.camera_id).in_(cameras))
    if model is HealthEventRow:
        return query.where(col(HealthEventRow.camera_id).in_(cameras))
    if model is PassageRow:
        return query.where(col(PassageRow.camera_id).in_(cameras))
    if model in (AlarmRow, DeviceMessageRow):
        return query.where(col(model.device_id).in_(devices))
    if model is AlarmAuditRow:
        alarms = select(AlarmRow.id).where(col(AlarmRow.device_id).in_(devices))
        return query.where(col(AlarmAuditRow.alarm_id).in_(alarms))
    raise TypeError(f"no scope rule for {model.__name__}: add one to lanewatch/people/scope.py")
