"""The one seam through which minhu learns the time, so tests can freeze it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
_city_tz: ZoneInfo = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return _now()


def set_city_timezone(tz: ZoneInfo) -> None:
    global _city_tz
    _city_tz = tz


def city_tz() -> ZoneInfo:
    return _city_tz


def city_now() -> datetime:
    """The current instant in the city's time zone: order numbers and pages use its calendar date."""
    return now().astimezone(_city_tz)


def city_local(text: str) -> datetime:
    """A wall-clock time typed in the city (an HTML ``datetime-local`` field, ``2026-12-03T17:30``) as an
    instant. Raises ValueError for text that is not one."""
    return datetime.fromisoformat(text).replace(tzinfo=_city_tz)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze ``now()`` at ``at`` (must be timezone-aware) for the duration of the block."""
    global _now
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware datetime")
    previous = _now
    _now = lambda: at  # noqa: E731
    try:
        yield
    finally:
        _now = previous


@contextmanager
def running_from(start: datetime) -> Iterator[None]:
    """Let ``now()`` run from ``start`` at the machine's pace for the duration of the block.

    A test's clock: it starts at the same instant whatever day the machine thinks it is, and still moves,
    so events written one after another keep their order.
    """
    global _now
    if start.tzinfo is None:
        raise ValueError("running_from() needs a timezone-aware datetime")
    previous, origin = _now, monotonic()
    _now = lambda: start + timedelta(seconds=monotonic() - origin)  # noqa: E731
    try:
        yield
    finally:
        _now = previous
