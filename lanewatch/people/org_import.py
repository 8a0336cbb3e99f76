"""Import organisations from a CSV or YAML file (code, name, kind, parent_code): an upsert by code.

Both the CLI (`lanewatch orgs import`) and the API (`POST /api/orgs/import`) read files through
here. Importing the same file twice changes nothing; a row may name a parent defined further up the
same file or already stored. The whole file is checked before anything is written, and an error
names its line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import yaml
from sqlmodel import Session, select

from lanewatch.people.orgs import PARENT_KINDS, OrgNode, OrgTree
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import utcnow
from lanewatch.words import t

FIELDS = ("code", "name", "kind", "parent_code")


class OrgImportError(ValueError):
    """A file that cannot be imported; the message names the line."""


@dataclass(frozen=True, slots=True)
class OrgLine:
    line: int
    code: str
    name: str
    kind: str
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def parse(text: str, *, yaml_format: bool, lang: str | None = None) -> list[OrgLine]:
    """The file's rows; OrgImportError for a missing field, a duplicate code, or malformed CSV/YAML."""
    raw: list[tuple[int, dict[str, object]]] = []
    if yaml_format:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise OrgImportError(t("people.orgs.import.bad_yaml", lang, problem=str(exc).splitlines()[0])) from None
        if isinstance(data, dict) and "organisations" in data:
            data = data["organisations"]
        if not isinstance(data, list):
            raise OrgImportError(t("people.orgs.import.yaml_list", lang))
        for number, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise OrgImportError(t("people.orgs.import.yaml_item", lang, line=number))
            raw.append((number, item))
    else:
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        missing = [f for f in ("code", "name", "kind") if f not in (reader.fieldnames or [])]
        if missing:
            raise OrgImportError(t("people.orgs.import.header", lang, fields=", ".join(FIELDS)))
        raw = [(reader.line_num, dict(row)) for row in reader]
    lines: list[OrgLine] = []
    seen: dict[str, int] = {}
    for number, item in raw:
        unknown = sorted(set(map(str, item)) - set(FIELDS))
        if unknown:
            raise OrgImportError(t("people.orgs.import.unknown_field", lang, line=number, field=", ".join(unknown)))
        code, name, kind = (_text(item.get(f)) for f in FIELDS[:3])
        row = OrgLine(number, code, name, kind, _text(item.get("parent_code")) or None)
        for name in ("code", "name", "kind"):
            if not getattr(row, name):
                raise OrgImportError(t("people.orgs.import.empty", lang, line=number, field=name))
        if len(row.code) > 100 or len(row.name) > 200:
            raise OrgImportError(t("people.orgs.import.too_long", lang, line=number))
        if row.code in seen:
            raise OrgImportError(
                t("people.orgs.import.duplicate", lang, line=number, code=row.code, first=seen[row.code])
            )
        seen[row.code] = number
        lines.append(row)
    return lines


def apply(session: Session, lines: list[OrgLine], lang: str | None = None) -> ImportResult:
    """Upsert the rows into `session` (not committed); OrgImportError names the first bad line."""
    stored = {row.code: row for row in session.exec(select(OrganisationRow)).all()}
    nodes = {row.pk: OrgNode(row.pk, row.kind, row.parent_pk) for row in stored.values() if row.pk is not None}
    result = ImportResult([], [], [])
    for line in lines:
        parent_pk = None
        if line.parent_code is not None:
            parent = stored.get(line.parent_code)
            if parent is None:
                raise OrgImportError(t("people.orgs.import.no_parent", lang, line=line.line, code=line.parent_code))
            parent_pk = parent.pk
        existing = stored.get(line.code)
        try:
            tree = OrgTree(nodes.values())
            tree.check_parent(line.kind, parent_pk, existing.pk if existing else None)
            if existing is not None and existing.pk is not None and line.kind != existing.kind:
                for child in tree.children.get(existing.pk, []):
                    if line.kind not in PARENT_KINDS[tree.nodes[child].kind]:
                        raise ValueError(f"a {tree.nodes[child].kind} under it cannot sit under a {line.kind}")
        except ValueError as exc:
            raise OrgImportError(t("people.orgs.import.misplaced", lang, line=line.line, problem=str(exc))) from None
        if existing is None:
            row = OrganisationRow(code=line.code, name=line.name, kind=line.kind, parent_pk=parent_pk)
            session.add(row)
            session.flush()  # its pk, for the rows below that name it as parent
            stored[line.code] = row
            result.created.append(line.code)
        elif (existing.name, existing.kind, existing.parent_pk) == (line.name, line.kind, parent_pk):
            result.unchanged.append(line.code)
            continue
        else:
            existing.name, existing.kind, existing.parent_pk = line.name, line.kind, parent_pk
            existing.updated_at = utcnow()
            session.add(existing)
            row = existing
            result.updated.append(line.code)
        assert row.pk is not None
        nodes[row.pk] = OrgNode(row.pk, row.kind, row.parent_pk)
    return result


def import_text(session: Session, text: str, *, yaml_format: bool, lang: str | None = None) -> ImportResult:
    """Parse and upsert a whole file; nothing is written when a line is bad (the caller commits on success)."""
    lines = parse(text, yaml_format=yaml_format, lang=lang)
    try:
        return apply(session, lines, lang)
    except OrgImportError:
        session.rollback()
        raise
