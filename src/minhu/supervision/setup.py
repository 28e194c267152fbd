"""Putting the time-limit policy and the calendar in place: the values an order's keys may take (they are
the order's enums, which the deadlines package below does not know), the default policy, the seed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.deadlines import policy as policy_files
from minhu.deadlines import service as deadlines
from minhu.deadlines.models import DEFAULT_WARN_SHARE, TimeLimitPolicy
from minhu.orders.enums import Channel, OrderType, Urgency
from minhu.routing.models import GRADES, LimitClass

ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "grade": frozenset(g.value for g in GRADES),
    "type": frozenset(t.value for t in OrderType),
    "urgency": frozenset(u.value for u in Urgency),
    "channel": frozenset(c.value for c in Channel),
    "limit_class": frozenset(c.value for c in LimitClass),
}
DEFAULT_POLICY_NAME = "默认时限（30分钟受理、3个工作日办结）"
# The package's holidays from the year before this one: older years no open order can reach.
SEED_YEARS_BACK = 1


def load_policy_file(session: Session, path: Path = policy_files.DEFAULT_POLICY, *, name: str | None = None,
                     warn_share: float = DEFAULT_WARN_SHARE) -> TimeLimitPolicy:
    """Check ``path`` whole and make it the policy for new orders. Raises InvalidInput naming every bad line."""
    parsed = policy_files.parse_policy(path.read_bytes(), ALLOWED_KEYS)
    return deadlines.load_policy(session, parsed, name=name or (
        DEFAULT_POLICY_NAME if path == policy_files.DEFAULT_POLICY else path.name), warn_share=warn_share)


def seed_calendar(session: Session) -> deadlines.SeedResult:
    return deadlines.seed_from_package(session, since=clock.city_now().year - SEED_YEARS_BACK)
