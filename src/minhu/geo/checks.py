"""Checks on a jurisdiction file before anything is written: coordinates, polygons and how the
territorial levels tile one another. Every problem is collected, so one run reports them all."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from minhu.geo.coords import point_problem

GEOMETRY_TYPES = {"Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
# Polygons drawn by hand or simplified never meet exactly: slivers below these are not errors.
DEFAULT_TOLERANCE_SHARE = 0.01
DEFAULT_TOLERANCE_M2 = 50.0


@dataclass(frozen=True)
class Problem:
    where: str  # "要素 12（和平社区1网格 420106001001001）" or "第 5 行"
    message: str

    def __str__(self) -> str:
        return f"{self.where}：{self.message}"


def _positions(coordinates: Any) -> Iterator[Any]:
    """Every position of a GeoJSON coordinates array, whatever its nesting."""
    if isinstance(coordinates, list | tuple) and coordinates and not isinstance(coordinates[0], list | tuple):
        yield coordinates
        return
    if isinstance(coordinates, list | tuple):
        for part in coordinates:
            yield from _positions(part)


def position_problem(position: Any) -> str | None:
    """Why a GeoJSON position is not a WGS-84 [longitude, latitude], or None."""
    if not isinstance(position, list | tuple) or len(position) < 2:
        return "坐标应为 [经度, 纬度] 数组"
    problem = point_problem(position[0], position[1])
    if problem is None:
        return None
    return problem.message + ("（GeoJSON 的顺序是 [经度, 纬度]）" if problem.swapped else "")


def geometry_problem(geometry: Any, allowed: set[str]) -> tuple[BaseGeometry | None, str | None]:
    """The shapely geometry of a GeoJSON geometry, or why it cannot be used."""
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        return None, "几何对象无效：应为 GeoJSON 的 Point / LineString / Polygon / MultiPolygon 等"
    kind = geometry["type"]
    if kind not in allowed:
        return None, f"此类要素的几何类型不能是 {kind}（可用：{'、'.join(sorted(allowed))}）"
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list | tuple) or not coordinates:
        return None, "几何对象缺少坐标"
    for position in _positions(coordinates):
        problem = position_problem(position)
        if problem:
            return None, problem
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException) as exc:
        return None, f"几何对象无法解析：{exc}"
    if not geom.is_valid:
        return None, f"几何对象不合法：{_explain(geom)}"
    if geom.is_empty:
        return None, "几何对象为空"
    return geom, None


def _explain(geom: BaseGeometry) -> str:
    reason = str(explain_validity(geom))
    if reason.startswith("Self-intersection"):
        return "边界自相交" + reason[len("Self-intersection"):]
    if reason.startswith("Ring Self-intersection"):
        return "环自相交" + reason[len("Ring Self-intersection"):]
    if reason.startswith("Too few points"):
        return "点数过少，无法构成面"
    return reason


@dataclass(frozen=True)
class Cell:
    """A territorial unit of the file, projected to metres."""

    label: str
    code: str
    parent_code: str | None
    geometry: BaseGeometry  # metres


def tiling_problems(parents: Sequence[Cell], children: Sequence[Cell], *, child_word: str, parent_word: str,
                    share: float = DEFAULT_TOLERANCE_SHARE, min_m2: float = DEFAULT_TOLERANCE_M2) -> list[Problem]:
    """Children outside their parent, overlapping siblings, and gaps a parent's children leave."""
    problems: list[Problem] = []
    by_parent: dict[str, list[Cell]] = {}
    for child in children:
        if child.parent_code is not None:
            by_parent.setdefault(child.parent_code, []).append(child)
    parent_of = {p.code: p for p in parents}
    for child in children:
        parent = parent_of.get(child.parent_code or "")
        if parent is None:
            continue
        outside = child.geometry.difference(parent.geometry).area
        if outside > max(min_m2, share * child.geometry.area):
            problems.append(Problem(child.label, f"有 {outside:,.0f} 平方米超出所属{parent_word}{parent.label}的边界"))
    for parent_code, siblings in sorted(by_parent.items()):
        problems.extend(_overlaps(siblings, child_word, share, min_m2))
        parent = parent_of.get(parent_code)
        if parent is None:
            continue
        covered = shapely.union_all([s.geometry for s in siblings])
        gap = parent.geometry.difference(covered).area
        if gap > max(min_m2, share * parent.geometry.area):
            problems.append(Problem(parent.label, f"内有 {gap:,.0f} 平方米不属于任何{child_word}（缝隙）"))
    return problems


def _overlaps(siblings: Sequence[Cell], word: str, share: float, min_m2: float) -> Iterator[Problem]:
    tree = shapely.STRtree([s.geometry for s in siblings])
    left, right = tree.query([s.geometry for s in siblings], predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        a, b = siblings[i], siblings[j]
        overlap = a.geometry.intersection(b.geometry).area
        if overlap > max(min_m2, share * min(a.geometry.area, b.geometry.area)):
            yield Problem(a.label, f"与{word}{b.label}重叠 {overlap:,.0f} 平方米")
