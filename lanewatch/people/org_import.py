"""Import organisations from a CSV or YAML file (code, name, kind, parent_code): an upsert by code.

Both the CLI (`lanewatch orgs import`) and the API (`POST /api/orgs/import`) read files through
here. Importing the same file twice changes nothing; a row may name a parent defined further up the
same file or already stored. The whole file is checked before anything is written, and an error
names its line and column (CSV: the column's number and header; YAML: where the value is), in the
reader's language.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import yaml
from sqlmodel import Session, select

from lanewatch.people.orgs import PARENT_KINDS, OrgNode, OrgTree, PlaceError, kind_words
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import utcnow
from lanewatch.words import t

FIELDS = ("code", "name", "kind", "parent_code")
LIMITS = {"code": 100, "name": 200}


class OrgImportError(ValueError):
    """A file that cannot be imported; the message names the line and column, in the reader's language."""


Place = tuple[int, int]
"""A line and column of the file, counted from 1."""


@dataclass(frozen=True, slots=True)
class OrgLine:
    line: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    places: dict[str, Place] = field(default_factory=dict)
    """Where each field's value is (a field left out: where its row begins)."""

    def at(self, name: str) -> Place:
        return self.places.get(name, (self.line, 1))


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _error(place: Place, field_name: str, lang: str | None, key: str, **params: object) -> OrgImportError:
    return _located(place, field_name, lang, t(key, lang, **params))


def _located(place: Place, field_name: str, lang: str | None, problem: str) -> OrgImportError:
    line, column = place
    return OrgImportError(t("people.orgs.import.at", lang, line=line, column=column, field=field_name, problem=problem))


Raw = tuple[int, dict[str, object], dict[str, Place]]
"""A row as read: its line, its values by field, and where each field is."""


def _yaml_rows(text: str, lang: str | None) -> list[Raw]:
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise OrgImportError(t("people.orgs.import.bad_yaml", lang, line=line, column=column)) from None
    if isinstance(data, dict) and "organisations" in data and isinstance(node, yaml.MappingNode):
        data = data["organisations"]
        node = next(value for key, value in node.value if key.value == "organisations")
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise OrgImportError(t("people.orgs.import.yaml_list", lang))
    rows: list[Raw] = []
    for number, (item, item_node) in enumerate(zip(data, node.value, strict=True), start=1):
        line, column = item_node.start_mark.line + 1, item_node.start_mark.column + 1
        if not isinstance(item, dict) or not isinstance(item_node, yaml.MappingNode):
            raise OrgImportError(t("people.orgs.import.yaml_item", lang, line=line, column=column, item=number))
        places: dict[str, Place] = {}
        for key, value in item_node.value:
            known = str(key.value) in FIELDS
            mark = value.start_mark if known else key.start_mark
            places[str(key.value)] = (mark.line + 1, mark.column + 1)
        rows.append((line, item, places))
    return rows


def _csv_rows(text: str, lang: str | None) -> list[Raw]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = reader.fieldnames or []
        missing = [f for f in ("code", "name", "kind") if f not in header]
        if missing:
            raise OrgImportError(
                t("people.orgs.import.header", lang, fields=",".join(FIELDS), missing=", ".join(missing))
            )
        for column, name in enumerate(header, start=1):
            if name not in FIELDS:
                raise _error((1, column), name, lang, "people.orgs.import.unknown_field", fields=", ".join(FIELDS))
        columns = {name: column for column, name in enumerate(header, start=1)}
        rows: list[Raw] = []
        for row in reader:
            if None in row:  # more values than columns
                raise OrgImportError(
                    t("people.orgs.import.extra_values", lang, line=reader.line_num, column=len(header) + 1)
                )
            rows.append((reader.line_num, dict(row), {n: (reader.line_num, c) for n, c in columns.items()}))
        return rows
    except csv.Error:
        raise OrgImportError(t("people.orgs.import.bad_csv", lang, line=reader.line_num + 1)) from None


def parse(text: str, *, yaml_format: bool, lang: str | None = None) -> list[OrgLine]:
    """The file's rows; OrgImportError (naming line and column) for a missing, unknown or too long field,
    a duplicate code, or malformed CSV/YAML."""
    lines: list[OrgLine] = []
    seen: dict[str, int] = {}
    for number, item, places in _yaml_rows(text, lang) if yaml_format else _csv_rows(text, lang):
        code, name, kind = (_text(item.get(f)) for f in FIELDS[:3])
        row = OrgLine(number, code, name, kind, _text(item.get("parent_code")) or None, places=places)
        unknown = sorted(set(map(str, item)) - set(FIELDS))
        if unknown:
            bad = unknown[0]
            raise _error(row.at(bad), bad, lang, "people.orgs.import.unknown_field", fields=", ".join(FIELDS))
        for key in FIELDS[:3]:
            value = getattr(row, key)
            if not value:
                raise _error(row.at(key), key, lang, "people.orgs.import.empty")
            if len(value) > LIMITS.get(key, len(value)):
                raise _error(row.at(key), key, lang, "people.orgs.import.too_long", max=LIMITS[key])
        if row.code in seen:
            raise _error(
                row.at("code"), "code", lang, "people.orgs.import.duplicate", code=row.code, first=seen[row.code]
            )
        seen[row.code] = number
        lines.append(row)
    return lines


def _check(
    tree: OrgTree, line: OrgLine, parent_pk: int | None, existing: OrganisationRow | None, lang: str | None
) -> None:
    """OrgImportError unless the line's organisation may sit under its parent (and keep its own members)."""
    try:
        tree.check_parent(line.kind, parent_pk, existing.pk if existing else None, lang)
    except PlaceError as exc:
        name = "kind" if exc.about == "kind" else "parent_code"
        raise _located(line.at(name), name, lang, str(exc)) from None
    if existing is None or existing.pk is None or line.kind == existing.kind:
        return
    for child in tree.children.get(existing.pk, []):
        misfit = tree.nodes[child].kind
        if line.kind not in PARENT_KINDS[misfit]:
            raise _error(line.at("kind"), "kind", lang, "people.orgs.children_misfit", kind=kind_words(misfit, lang))


def apply(session: Session, lines: list[OrgLine], lang: str | None = None) -> ImportResult:
    """Upsert the rows into `session` (not committed); OrgImportError names the first bad line and column."""
    stored = {row.code: row for row in session.exec(select(OrganisationRow)).all()}
    nodes = {row.pk: OrgNode(row.pk, row.kind, row.parent_pk) for row in stored.values() if row.pk is not None}
    result = ImportResult([], [], [])
    for line in lines:
        parent_pk = None
        if line.parent_code is not None:
            parent = stored.get(line.parent_code)
            if parent is None:
                place = line.at("parent_code")
                raise _error(place, "parent_code", lang, "people.orgs.import.no_parent", code=line.parent_code)
            parent_pk = parent.pk
        existing = stored.get(line.code)
        _check(OrgTree(nodes.values()), line, parent_pk, existing, lang)
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
