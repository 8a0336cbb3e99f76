"""The organisation tree: kinds, where each kind may sit, and the subtree an organisation oversees.

The tree is small (a district has hundreds of communities and enterprises,
not millions), so it is read whole and walked in memory: one query, no
recursive SQL that SQLite and PostgreSQL would spell differently. The database
hands it back as one text (`tree_text`), which also keys a small cache of built
trees: every API request needs its caller's scope, and a tree is rebuilt only
when that text (the tree itself, read in the request's own snapshot) changed,
so an edit anywhere, by any process, counts at the next request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import String, cast, func
from sqlmodel import Session, select

from lanewatch.store.people_tables import OrganisationRow
from lanewatch.words import t

ORG_KINDS = ("district", "street", "community", "enterprise", "agency")
PARENT_KINDS: dict[str, tuple[str, ...]] = {
    "district": (),  # a district is a root
    "street": ("district",),
    "community": ("street", "district"),
    "enterprise": ("street", "district"),
    "agency": ("district",),  # emergency bureau, fire brigade, housing centre, operating company
}
"""For each kind, the kinds its parent may be (none: it must be a root)."""


@dataclass(frozen=True, slots=True)
class OrgNode:
    pk: int
    kind: str
    parent_pk: int | None


class OrgTree:
    """The organisations as parent links, to answer "which organisations does this one oversee"."""

    def __init__(self, nodes: Iterable[OrgNode]) -> None:
        self.nodes = {node.pk: node for node in nodes}
        self._overseen: dict[int, frozenset[int]] = {}
        self.children: dict[int, list[int]] = {}
        for node in self.nodes.values():
            if node.parent_pk is not None:
                self.children.setdefault(node.parent_pk, []).append(node.pk)

    @classmethod
    def load(cls, session: Session) -> OrgTree:
        """The tree as `session` sees it now (its own flushed changes included)."""
        return tree_of_text(session.exec(select(tree_text())).one())

    def overseen(self, pk: int) -> frozenset[int]:
        """`overseen_by(pk)`, worked out once per tree (the tree is shared: see `tree_of_text`)."""
        found = self._overseen.get(pk)
        if found is None:
            found = self._overseen[pk] = self.overseen_by(pk)
        return found

    def subtree(self, pk: int) -> frozenset[int]:
        """`pk` and every organisation below it."""
        found: set[int] = set()
        stack = [pk]
        while stack:
            current = stack.pop()
            if current in found:
                continue  # a loop in bad data must not hang the request
            found.add(current)
            stack.extend(self.children.get(current, ()))
        return frozenset(found)

    def overseen_by(self, pk: int) -> frozenset[int]:
        """What a member of organisation `pk` sees: its subtree; an agency sees the whole district above it."""
        node = self.nodes.get(pk)
        if node is None:
            return frozenset()
        if node.kind == "agency" and node.parent_pk is not None:
            return self.subtree(node.parent_pk)
        return self.subtree(pk)

    def ancestors(self, pk: int) -> list[int]:
        """The organisations above `pk`, nearest first (for breadcrumbs and loop checks)."""
        chain: list[int] = []
        node = self.nodes.get(pk)
        while node is not None and node.parent_pk is not None and node.parent_pk not in chain:
            chain.append(node.parent_pk)
            node = self.nodes.get(node.parent_pk)
        return chain

    def check_parent(self, kind: str, parent_pk: int | None, pk: int | None = None, lang: str | None = None) -> None:
        """PlaceError unless an organisation of `kind` may sit under `parent_pk` (and, when moving `pk`,
        the move makes no loop)."""
        if kind not in ORG_KINDS:
            raise PlaceError("kind", "people.place.unknown_kind", lang, kind=kind, kinds=", ".join(ORG_KINDS))
        allowed = PARENT_KINDS[kind]
        if parent_pk is None:
            if allowed:
                raise PlaceError("parent", "people.place.needs_parent", lang, kind=kind, parents=allowed)
            return
        parent = self.nodes.get(parent_pk)
        if parent is None:
            raise PlaceError("parent", "people.place.no_parent", lang, parent=parent_pk)
        if pk is not None and (parent_pk == pk or pk in self.ancestors(parent_pk)):
            raise PlaceError("parent", "people.place.loop", lang)
        if parent.kind not in allowed:
            key = "people.place.wrong_parent" if allowed else "people.place.is_root"
            raise PlaceError("parent", key, lang, kind=kind, parent_kind=parent.kind, parents=allowed)


def tree_text() -> Any:
    """An expression for the whole tree as one text, ``pk:kind:parent`` per organisation joined by commas
    (NULL when there is none), to select beside whatever needs the tree (the key check does, per request)."""
    parent = func.coalesce(cast(OrganisationRow.parent_pk, String), "")
    item = cast(OrganisationRow.pk, String) + ":" + OrganisationRow.kind + ":" + parent
    return select(func.aggregate_strings(item, ",")).scalar_subquery()


@lru_cache(maxsize=8)
def tree_of_text(text: str | None) -> OrgTree:
    """The tree `tree_text` wrote. Cached by the text: the same tree (in any order) is built once and
    shared, read-only, by every request; a changed one is a new text, hence a new tree."""
    nodes = []
    for item in text.split(",") if text else ():
        pk, kind, parent = item.split(":")
        nodes.append(OrgNode(int(pk), kind, int(parent) if parent else None))
    return OrgTree(nodes)


def kind_words(kinds: str | tuple[str, ...], lang: str | None) -> str:
    """Organisation kinds as people read them ("街道/镇 / 区"), for messages."""
    names = (kinds,) if isinstance(kinds, str) else kinds
    return " / ".join(t(f"people.kind.{k}", lang) if k in ORG_KINDS else k for k in names)


class PlaceError(ValueError):
    """Why an organisation cannot sit where asked, worded in `lang`; ``about`` is the field at fault
    (``kind`` or ``parent``), so a file import can name the column."""

    def __init__(self, about: str, key: str, lang: str | None, **params: object) -> None:
        for name in ("kind", "parent_kind", "parents"):
            if name in params and params[name] is not None:
                params[name] = kind_words(params[name], lang)  # type: ignore[arg-type]
        super().__init__(t(key, lang, **params))
        self.about = about
