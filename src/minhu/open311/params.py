"""Reading what an Open311 client sends, by the specification's rules: empty parameters are absent, codes and
ids are text, datetimes are W3C ISO 8601. Anything wrong is an ``Open311Error`` with the status the
specification gives it (404 not found, 403 the key, 400 anything else) and a description naming the parameter."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from minhu.core import clock
from minhu.open311.formats import NOT_XML
from minhu.open311.models import MAX_DESCRIPTION


class Open311Error(Exception):
    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,40})\](\[\])?$")
MAX_IDS = 1000
MAX_SPAN = timedelta(days=90)
DEFAULT_LIMIT = 1000
MAX_PAGE_SIZE = 1000


_DIGITS = re.compile(r"[0-9]{1,9}")
# The years a date may name: beyond them arithmetic on the window overflows and nothing real lies there.
FIRST_YEAR, LAST_YEAR = 1970, 2100


def check_text(value: str, name: str) -> str:
    """Refused on the way in, so no stored text can make a later XML answer ill-formed (and no NUL reaches
    PostgreSQL)."""
    if NOT_XML.search(value):
        raise bad(f"{name} 含有不可用的控制字符（{name} holds control characters）")
    return value


class Params:
    """A request's parameters (query string and form together), with empty values dropped. Raises Open311Error
    400 for a name or value holding characters XML cannot carry."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self.items = [(check_text(k, "参数名"), check_text(v, k)) for k, v in items
                      if isinstance(v, str) and v.strip() != ""]

    def get(self, name: str) -> str | None:
        for key, value in self.items:
            if key == name:
                return value.strip()
        return None

    def all(self, name: str) -> list[str]:
        return [value.strip() for key, value in self.items if key == name]

    def text(self, name: str, *, limit: int) -> str | None:
        value = self.get(name)
        if value is not None and len(value) > limit:
            raise bad(f"{name} 超过 {limit} 个字符（{name} is longer than {limit} characters）")
        return value

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if value is None:
            return False
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        raise bad(f"{name} 须为 true 或 false（{name} must be true or false）")

    def number(self, name: str, *, low: float, high: float) -> float | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            raise bad(f"{name} 须为数字（{name} must be a number）") from None
        if not math.isfinite(number) or not low <= number <= high:
            raise bad(f"{name} 须在 {low:g} 到 {high:g} 之间（{name} is out of range）")
        return number

    def positive(self, name: str, *, high: int) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if not _DIGITS.fullmatch(value) or not 1 <= int(value) <= high:
            raise bad(f"{name} 须为 1 到 {high} 的整数（{name} must be a whole number from 1 to {high}）")
        return int(value)

    def instant(self, name: str) -> datetime | None:
        value = self.get(name)
        return parse_instant(value, name) if value is not None else None

    def codes(self, name: str, *, limit: int = MAX_IDS) -> list[str]:
        """A comma-separated list (``service_request_id=MH1,MH2``), its blanks dropped; a repeated parameter adds
        to it."""
        parts = (part.strip() for raw in self.all(name) for part in raw.split(","))
        codes = list(dict.fromkeys(part for part in parts if part))
        if len(codes) > limit:
            raise bad(f"{name} 最多 {limit} 个（at most {limit} values in {name}）")
        return codes

    def answers(self) -> dict[str, list[str]]:
        """``attribute[CODE]`` and ``attribute[CODE][]`` as {code: values}; a list code is keyed ``CODE[]``."""
        found: dict[str, list[str]] = {}
        for key, value in self.items:
            match = _ATTRIBUTE.match(key)
            if match is not None:
                name = match.group(1) + ("[]" if match.group(2) else "")
                found.setdefault(name, []).append(value.strip())
        return found


def parse_instant(value: str, name: str) -> datetime:
    """W3C ISO 8601: a date, or a date and time with or without a zone (the city's when absent)."""
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise bad(f"{name} 不是 W3C 日期时间，如 2026-12-07T09:30:00+08:00（{name} is not a W3C datetime）") from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise bad(f"{name} 须在 {FIRST_YEAR} 到 {LAST_YEAR} 年之间（{name} is out of range）")
    if len(value) == 10:  # a date alone: its first moment in the city
        parsed = datetime.combine(parsed.date(), time())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.city_tz())
    return parsed


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def window(params: Params, *, default_span: timedelta = MAX_SPAN) -> Window:
    """start_date and end_date, at most 90 days apart; without them, the last ``default_span``."""
    start, end = params.instant("start_date"), params.instant("end_date")
    if start is None and end is None:
        end = clock.now()
        start = end - default_span
    elif start is None:
        assert end is not None
        start = end - min(default_span, MAX_SPAN)
    elif end is None:
        end = min(clock.now(), start + MAX_SPAN)
        end = max(end, start)
    if end < start:
        raise bad("end_date 早于 start_date（end_date is before start_date）")
    if end - start > MAX_SPAN:
        raise bad("start_date 与 end_date 相距不得超过 90 天（the date range may span at most 90 days）")
    return Window(start, end)


@dataclass(frozen=True)
class Page:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    paged: bool = False


def page(params: Params) -> Page:
    """The ``page`` and ``page_size`` extension; without either, the specification's first 1,000."""
    number, size = params.positive("page", high=1_000_000), params.positive("page_size", high=MAX_PAGE_SIZE)
    if number is None and size is None:
        return Page()
    size = size or 100
    return Page(limit=size, offset=((number or 1) - 1) * size, paged=True)


@dataclass
class Location:
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None


def location(params: Params) -> Location:
    lat = params.number("lat", low=-90, high=90)
    lon = params.number("long", low=-180, high=180)
    if (lat is None) != (lon is None):
        raise bad("lat 与 long 须同时提供（lat and long must be given together）")
    found = Location(lat, lon, params.text("address_string", limit=500), params.text("address_id", limit=40))
    if lat is None and found.address_string is None and found.address_id is None:
        raise bad("须提供位置：lat 与 long，或 address_string，或 address_id"
                  "（a location is required: lat and long, address_string or address_id）")
    return found


@dataclass
class Reporter:
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_url: str | None = None


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s]{1,990}$", re.IGNORECASE)


def reporter(params: Params) -> Reporter:
    email = params.text("email", limit=200)
    if email is not None and not _EMAIL.match(email):
        raise bad("email 不是有效的电子邮件地址（email is not a valid address）")
    media_url = params.text("media_url", limit=1000)
    if media_url is not None and not _URL.match(media_url):
        raise bad("media_url 须为 http 或 https 网址（media_url must be an http(s) URL）")
    return Reporter(email=email, device_id=params.text("device_id", limit=200) or params.text("deviceid", limit=200),
                    account_id=params.text("account_id", limit=200),
                    first_name=params.text("first_name", limit=50), last_name=params.text("last_name", limit=50),
                    phone=params.text("phone", limit=32), description=params.text("description", limit=MAX_DESCRIPTION),
                    media_url=media_url)
