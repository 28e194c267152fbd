"""What every map format is read into: the checked features of one file, and the error that names every
problem of a refused file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError
from shapely.geometry.base import BaseGeometry

from minhu.core.errors import DomainError, InvalidInput
from minhu.core.text import RequiredText, StorableText, decode_text_file
from minhu.geo.address import normalize
from minhu.geo.checks import Problem
from minhu.geo.models import (
    PlaceKind,
    ZoneKind,
)
from minhu.org.roles import GridKind, UnitKind


class MapImportError(DomainError):
    """The file was refused; ``problems`` says every reason, and nothing was written."""

    status = 422
    code = "map_invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        shown = "；".join(str(p) for p in problems[:5])
        more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
        super().__init__(f"地图文件有 {len(problems)} 处问题，未导入任何内容：{shown}{more}",
                         details=[{"field": p.where, "message": p.message} for p in problems])
        self.problems = list(problems)


class _Props(BaseModel):
    model_config = ConfigDict(extra="ignore")


class UnitFeature(_Props):
    code: RequiredText = Field(max_length=32)
    name: RequiredText = Field(max_length=100)
    kind: UnitKind
    parent: StorableText | None = Field(default=None, max_length=32)
    number_prefix: StorableText | None = Field(default=None, max_length=8, pattern=r"^[A-Z]{1,8}$")
    households: StrictInt | None = Field(default=None, ge=0)
    grid_kind: GridKind | None = None
    staff_posts: StrictInt | None = Field(default=None, ge=0)
    staff_filled: StrictInt | None = Field(default=None, ge=0)
    valid_from: date | None = None


class ZoneFeature(_Props):
    code: RequiredText = Field(max_length=64)
    name: RequiredText = Field(max_length=100)
    kind: ZoneKind
    buffer_m: StrictFloat | StrictInt | None = Field(default=None, ge=0, le=5000)
    communities: list[StorableText] = Field(default_factory=list)


def _matchable(value: str) -> str:
    if not normalize(value):
        raise ValueError("地名去掉空白和标点后为空，无法用于地址匹配")
    return value


MatchableName = Annotated[RequiredText, AfterValidator(_matchable)]


class PlaceFeature(_Props):
    name: MatchableName = Field(max_length=100)
    kind: PlaceKind
    aliases: list[MatchableName] = Field(default_factory=list)
    unit: StorableText | None = Field(default=None, max_length=32)



@dataclass
class ParsedUnit:
    props: UnitFeature
    geometry: BaseGeometry | None
    label: str


@dataclass
class ParsedZone:
    props: ZoneFeature
    geometry: BaseGeometry | None


@dataclass
class ParsedPlace:
    props: PlaceFeature
    geometry: BaseGeometry


@dataclass
class MapFile:
    units: list[ParsedUnit] = field(default_factory=list)
    zones: list[ParsedZone] = field(default_factory=list)
    places: list[ParsedPlace] = field(default_factory=list)



def pydantic_problems(where: str, exc: ValidationError) -> list[Problem]:
    return [Problem(where, f"{'.'.join(str(p) for p in e['loc']) or '属性'}：{e['msg']}") for e in exc.errors()]


def decode_csv(raw: bytes, *, encoding: str | None = None) -> str:
    """The file's text (see ``decode_text_file``), its encoding problem reported like the map's others."""
    try:
        return decode_text_file(raw, encoding=encoding)
    except InvalidInput as exc:
        raise MapImportError([Problem("文件", exc.message)]) from None


def read_csv(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[Problem]]:
    """The header, the (line, column → text) rows and the lines the csv module cannot read, of a CSV text.

    Every line ending is accepted (a lone carriage return too, as old Mac tools write). The line of a row
    is the physical line where it ends: the header is line 1.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise MapImportError([Problem("表头", f"无法解析：{exc}")]) from None
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[Problem] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(f"第 {reader.line_num} 行", f"无法解析：{exc}"))
            continue
        rows.append((reader.line_num, row))
    return header, rows, problems
