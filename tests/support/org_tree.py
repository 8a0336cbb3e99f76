"""An organisation tree under the default district, built from a readable list: shared by the scope
tests (tests/api/scope_world.py) and the pages' district (tests/web/district.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from lanewatch.store.people_tables import OrganisationRow


def add_orgs(session: Session, orgs: Iterable[tuple[str, str, str, str]]) -> dict[str, int]:
    """Add (code, name, kind, parent code) rows, parents first; returns code → pk, "district" included."""
    pks = {"district": session.exec(select(OrganisationRow.pk).where(OrganisationRow.code == "district")).one()}
    for code, name, kind, parent in orgs:
        row = OrganisationRow(code=code, name=name, kind=kind, parent_pk=pks[parent])
        session.add(row)
        session.flush()
        assert row.pk is not None
        pks[code] = row.pk
    return pks
