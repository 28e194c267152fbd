"""How the demo's units answer and what their citizens say: each unit's profile over the year, and the drawing
of a callback's outcome and of the centre's ruling from it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from minhu.demo import texts
from minhu.demo.bulk import Draft
from minhu.orders.enums import CallbackMethod, Channel, Resolution, Ruling, Satisfaction
from minhu.orders.states import Action


@dataclass(frozen=True)
class Profile:
    """How a unit answers: its share of resolved orders at the start and at the end of the year, the share of
    its first contacts and of its replies within the limit, and (streets) the share of grid-patrol orders."""

    resolved_from: float
    resolved_to: float
    responds: float
    finishes: float
    patrol: float = 0.0

    def resolved(self, progress: float) -> float:
        return self.resolved_from + (self.resolved_to - self.resolved_from) * progress


STREETS = {"积玉桥街": Profile(0.90, 0.93, 0.98, 0.96, 0.42), "水果湖街": Profile(0.92, 0.94, 0.97, 0.95, 0.38),
           "白沙洲街": Profile(0.52, 0.86, 0.72, 0.65, 0.10)}
DEPARTMENTS = {"城管": Profile(0.80, 0.82, 0.95, 0.90), "住建": Profile(0.64, 0.68, 0.72, 0.60),
               "房管": Profile(0.60, 0.64, 0.62, 0.55), "市监": Profile(0.80, 0.81, 0.90, 0.86),
               "环保": Profile(0.78, 0.80, 0.86, 0.82), "交管": Profile(0.72, 0.75, 0.80, 0.75),
               "水务": Profile(0.82, 0.84, 0.92, 0.88), "人社": Profile(0.84, 0.86, 0.93, 0.90),
               "教育": Profile(0.80, 0.80, 0.88, 0.85), "卫健": Profile(0.82, 0.83, 0.90, 0.87),
               "公安": Profile(0.78, 0.80, 0.94, 0.88), "应急": Profile(0.80, 0.82, 0.93, 0.88),
               "消防": Profile(0.92, 0.93, 0.98, 0.95), "民政": Profile(0.80, 0.82, 0.90, 0.86),
               "交通": Profile(0.70, 0.73, 0.82, 0.76), "文旅": Profile(0.82, 0.83, 0.90, 0.87),
               "规划": Profile(0.58, 0.62, 0.70, 0.58), "医保": Profile(0.84, 0.85, 0.92, 0.89)}
SATISFACTION = {Resolution.RESOLVED: (0.86, 0.11), Resolution.PARTLY: (0.25, 0.45), Resolution.UNRESOLVED: (0.05, 0.2)}


FIELDS = ("resolution", "satisfaction", "callback_method", "callback_reached", "callback_attempts", "unreachable")


def _method(rng: random.Random, channel: Channel) -> CallbackMethod:
    if channel is Channel.GRID_PATROL:  # no caller to ring: the residents are visited
        return CallbackMethod.VISIT if rng.random() < 0.6 else CallbackMethod.PHONE
    if channel in (Channel.WEB_BOARD, Channel.MOBILE) and rng.random() < 0.5:
        return CallbackMethod.ONLINE
    return rng.choices((CallbackMethod.PHONE, CallbackMethod.ONLINE, CallbackMethod.VISIT), (92, 5, 3))[0]


def callback(rng: random.Random, draft: Draft, profile: Profile, progress: float, *, spot: bool) -> dict[str, Any]:
    """The callback's columns: reached or closed as unreachable, how, after how many tries, what the citizen said
    (``note``). A merged duplicate says what its main order's citizen said."""
    if draft.main is not None:
        said = next(s.note for s in draft.main.steps if s.action is Action.CALLBACK)
        return {**{f: draft.main.values[f] for f in FIELDS}, "note": said}
    method = _method(rng, draft.values["channel"])
    if method is CallbackMethod.PHONE and rng.random() < 0.06:
        return {"resolution": None, "satisfaction": None, "callback_method": method, "callback_reached": False,
                "callback_attempts": 3, "unreachable": True,
                "note": rng.choice(texts.CALLBACK_NOTES["unreachable"])}
    resolved = profile.resolved(progress)
    chance = rng.random()
    resolution = (Resolution.RESOLVED if spot or chance < resolved else
                  Resolution.PARTLY if chance < resolved + (1 - resolved) * 0.45 else Resolution.UNRESOLVED)
    satisfied, basically = SATISFACTION[resolution]
    chance = rng.random()
    satisfaction = (Satisfaction.SATISFIED if chance < satisfied else
                    Satisfaction.BASICALLY if chance < satisfied + basically else Satisfaction.UNSATISFIED)
    tries = rng.choices((1, 2, 3), (75, 18, 7))[0] if method is CallbackMethod.PHONE else 1
    return {"resolution": resolution, "satisfaction": satisfaction, "callback_method": method,
            "callback_reached": True, "unreachable": False, "callback_attempts": tries,
            "note": rng.choice(texts.CALLBACK_NOTES[satisfaction.value])}


def ruling(rng: random.Random, outcome: dict[str, Any]) -> tuple[Ruling | None, str | None]:
    """The centre's review (诉求审核认定) of some disputed orders, with its reason."""
    found: Ruling | None = None
    unsatisfied = outcome["satisfaction"] is Satisfaction.UNSATISFIED
    if unsatisfied and outcome["resolution"] is Resolution.RESOLVED:
        found = Ruling.REASONABLE_SOLVED if rng.random() < 0.3 else None
    elif (unsatisfied or outcome["resolution"] is Resolution.UNRESOLVED) and rng.random() < 0.15:
        found = rng.choices((Ruling.UNREASONABLE, Ruling.OUT_OF_SCOPE, Ruling.REASONABLE_NOT_NOW), (4, 2, 4))[0]
    return (found, rng.choice(texts.RULING_REASONS[found.value])) if found else (None, None)
