"""Units in tree order, for the pickers that name a unit (dispatch, 吹哨, escalation, the ledger's filter).

A unit's ``path`` (``/1/13/15/``) sorts as text, which puts ``/1/1026/`` before ``/1/13/`` and a street's
grids among other streets' communities. Here siblings are ordered by what they are, then by code: the
district's departments, then its streets; under a street its offices, its enforcement centre, then its
communities, each followed by its grids and the property companies and committees within it. Codes are
the official numbers (420106001 积玉桥街 before 420106002 杨园街), so each level reads as the city lists it.

One query of plain columns for the whole tree; a picker of 1,300 units costs a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.org.models import Unit
from minhu.org.roles import DISPATCHABLE_KINDS, UNIT_KIND_LABELS, UnitKind

# Siblings of these kinds come in this order; containers (city, district, centre) before them.
SIBLING_ORDER = (UnitKind.CITY, UnitKind.DISTRICT, UnitKind.CENTRE, UnitKind.DEPARTMENT, UnitKind.STREET,
                 UnitKind.OFFICE, UnitKind.ENFORCEMENT, UnitKind.COMMUNITY, UnitKind.GRID, UnitKind.PROPERTY,
                 UnitKind.COMMITTEE)


@dataclass(frozen=True, slots=True)
class TreeUnit:
    """A unit as a picker lists it: ``depth`` counts its ancestors that the same picker lists, ``parent_id``
    is the nearest of them (None at the top), ``ancestors`` are the names above it (for the search)."""

    id: int
    code: str
    name: str
    kind: UnitKind
    depth: int
    parent_id: int | None
    ancestors: tuple[str, ...]

    @property
    def label(self) -> str:
        """The option's text, the same in every picker: 积玉桥街（街道）."""
        return f"{self.name}（{UNIT_KIND_LABELS[self.kind]}）"

    @property
    def search(self) -> str:
        """What a typed word is matched against: its name, code and kind, and the names above it — so
        "积玉桥 网格" finds the grids of 积玉桥街."""
        return " ".join((self.name, self.code, UNIT_KIND_LABELS[self.kind], *self.ancestors))


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    code: str
    name: str
    kind: UnitKind
    path: str
    active: bool


def _rank(kind: UnitKind) -> int:
    return SIBLING_ORDER.index(kind) if kind in SIBLING_ORDER else len(SIBLING_ORDER)


class UnitTree:
    """Every unit of the installation, loaded once; ``pick`` lists a subset in tree order."""

    def __init__(self, rows: Iterable[_Row]) -> None:
        self._rows = {row.id: row for row in rows}
        self._chains: dict[int, list[_Row]] = {}
        self._keys: dict[int, tuple[tuple[int, str], ...]] = {}

    @classmethod
    def load(cls, session: Session) -> UnitTree:
        statement = select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.path, Unit.active)
        return cls(_Row(*row) for row in session.execute(statement))

    def _chain(self, row: _Row) -> list[_Row]:
        """The unit's ancestors from the top, then the unit."""
        chain = self._chains.get(row.id)
        if chain is None:
            ids = [int(part) for part in row.path.strip("/").split("/") if part.isdecimal()]
            chain = self._chains[row.id] = [*(self._rows[i] for i in ids if i in self._rows and i != row.id), row]
        return chain

    def _key(self, row: _Row) -> tuple[tuple[int, str], ...]:
        key = self._keys.get(row.id)
        if key is None:
            key = self._keys[row.id] = tuple((_rank(r.kind), r.code) for r in self._chain(row))
        return key

    def pick(self, wanted: Callable[[_Row], bool]) -> list[TreeUnit]:
        """The units ``wanted`` keeps, in tree order, each indented under the nearest ancestor it keeps."""
        kept = sorted((row for row in self._rows.values() if wanted(row)), key=self._key)
        listed = {row.id for row in kept}
        result = []
        for row in kept:
            above = self._chain(row)[:-1]
            shown = [r for r in above if r.id in listed]
            result.append(TreeUnit(id=row.id, code=row.code, name=row.name, kind=row.kind, depth=len(shown),
                                   parent_id=shown[-1].id if shown else None,
                                   ancestors=tuple(r.name for r in above if r.kind not in _CONTAINERS)))
        return result

    def dispatch_targets(self, *, within: Unit | None = None,
                         kinds: frozenset[UnitKind] = DISPATCHABLE_KINDS) -> list[TreeUnit]:
        """The active units an order can be handed to (of ``kinds``), optionally only those ``within`` a unit."""
        prefix = within.path if within is not None else ""
        return self.pick(lambda row: row.active and row.kind in kinds and row.path.startswith(prefix))


# Names that every unit shares (the city, the district) say nothing in a search.
_CONTAINERS = frozenset({UnitKind.CITY, UnitKind.DISTRICT})


def dispatch_targets(session: Session, *, within: Unit | None = None,
                     kinds: frozenset[UnitKind] = DISPATCHABLE_KINDS) -> list[TreeUnit]:
    """The active units an order can be dispatched to, in tree order (see the module's docstring)."""
    return UnitTree.load(session).dispatch_targets(within=within, kinds=kinds)
