"""A year of archived orders for the demo, so monthly rates, rankings and bulletins have a past to show.

About three thousand orders from the first day of the month a year ago until yesterday, each taken along its
whole life — created, accepted, dispatched, signed, handled, replied, approved, called back, archived — with
the events the service would have written, deadlines from the active time-limit policy, and the callback's
outcome. They are written with bulk inserts: through ``apply_action`` one by one they would add a minute to
``minhu demo load``; the rows are the same.

The district is not uniform, so the figures have something to say: 积玉桥街 and 水果湖街 do well, 白沙洲街
starts weak and improves over the year, departments answer on time at different rates (some replies come
after the deadline), there are more requests in summer and heating complaints in November, grid workers find
part of the problems themselves (the grid-patrol channel), a few orders are merged duplicates linked with their
main orders into threads, a handful of dissatisfied ones were re-handled (``repeats``), some carry the centre's
ruling, and some joint handlings (吹哨) were reported late. A fixed seed makes every load the same
relative to the day it runs.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.deadlines import service as deadlines
from minhu.deadlines.models import LimitKind
from minhu.demo import bulk, outcomes, repeats, texts
from minhu.demo.bulk import Draft, Step, iso
from minhu.demo.outcomes import DEPARTMENTS, STREETS, Profile
from minhu.demo.staff import Staff
from minhu.geo.models import LocationSource
from minhu.orders import service as order_service
from minhu.orders.enums import Channel, OrderType, Resolution, Urgency
from minhu.orders.states import Action, Status
from minhu.org import queries as org_queries
from minhu.org.models import Unit, User
from minhu.org.roles import Role, UnitKind
from minhu.routing import catalog
from minhu.routing.models import Category, Grade, LimitClass, OwnerKind, RoutingRule

SEED = 20251201
DAILY = 8.2  # orders a day before the season and the weekday weigh in
MONTH_WEIGHT = {1: 0.8, 2: 0.65, 3: 0.9, 4: 0.95, 5: 1.05, 6: 1.25, 7: 1.45, 8: 1.4, 9: 1.1, 10: 0.95, 11: 1.0,
                12: 0.9}
# Categories that come in their season (month → factor): heating in November, rain and mosquitoes in summer.
SEASONAL: dict[str, dict[int, float]] = {
    "010205": {11: 40, 12: 14, 1: 10, 2: 4}, "010201": {7: 3, 8: 3, 1: 2}, "010203": {6: 3, 7: 4, 8: 4},
    "020101": {6: 2, 7: 2, 8: 2}, "020103": {6: 2, 7: 2.5, 8: 2.5, 9: 1.5}, "070303": {6: 3, 7: 4, 8: 4, 9: 2},
    "080304": {5: 2, 6: 5, 7: 5}, "080402": {7: 3, 8: 3}, "090204": {12: 2, 1: 2}, "090504": {1: 5, 2: 8},
    "040101": {6: 3, 7: 3, 8: 2}, "040102": {6: 4, 7: 3},
}
# How often a category is asked about, beside its owner kind's base weight.
POPULAR = {"080101": 8, "020101": 6, "030401": 6, "080102": 5, "020202": 4, "090203": 4, "010102": 4, "010103": 4,
           "010104": 3, "080303": 3, "080301": 3, "020103": 4, "090701": 3, "050101": 3, "060101": 2, "060102": 3,
           "010201": 3, "030404": 3, "080201": 3, "100201": 2, "090202": 2, "080401": 2, "110101": 1.5, "1401": 3,
           "1402": 3, "1407": 3, "1404": 2, "080103": 2, "080105": 2}
KIND_WEIGHT = {OwnerKind.COMMUNITY: 1.6, OwnerKind.ENFORCEMENT: 1.5, OwnerKind.STREET: 1.3, OwnerKind.PROPERTY: 1.4,
               OwnerKind.DEPARTMENT: 0.45}
CHANNELS = ((Channel.HOTLINE, 66), (Channel.WEB_BOARD, 13), (Channel.MOBILE, 13), (Channel.LEADER_MAILBOX, 3),
            (Channel.API, 5))
HOURS = (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 6, 6, 5, 3, 4, 5, 5, 4.5, 4, 3, 3.5, 3.5, 2.5, 1.5, 0.6)
PATROL_KINDS = frozenset({OwnerKind.COMMUNITY, OwnerKind.ENFORCEMENT, OwnerKind.STREET, OwnerKind.PROPERTY})
ORDER_TYPES = (OrderType.COMPLAINT, OrderType.HELP, OrderType.REPORT, OrderType.SUGGESTION)
TYPE_WEIGHTS: dict[LimitClass | None, tuple[int, ...]] = {
    None: (50, 30, 10, 10), LimitClass.IMMEDIATE: (30, 70, 0, 0), LimitClass.URGENT: (50, 40, 10, 0)}
TYPE_WEIGHTS_BY_CODE = {"0905": (30, 0, 70, 0)}  # 社会治安: thefts, gambling, drugs and fraud are reported
WHISTLED = ("420106-D-城管", "420106-D-市监", "420106-D-环保", "420106-D-住建")
WHISTLING_KINDS = (UnitKind.STREET, UnitKind.ENFORCEMENT, UnitKind.COMMUNITY)
# The last weeks hold more joint handlings (吹哨), so that last month's and last week's called units (双考) are
# several to rank: a share of the orders replied in these days whose handling was long enough to call and hear
# back; each called unit reports in time, late, or never.
RECENT_WHISTLE_DAYS = 63
RECENT_WHISTLE_SHARE = 0.25
RECENT_REPORTS = (("in_time", 0.65), ("late", 0.25), ("never", 0.10))


class _Year:
    def __init__(self, session: Session, units: dict[str, Unit], personas: dict[Role, User], staff: Staff,
                 now: datetime) -> None:
        self.session, self.units, self.staff = session, units, staff
        self.operator, self.dispatcher = personas[Role.OPERATOR], personas[Role.DISPATCHER]
        self.reviewer = personas[Role.REVIEWER]
        self.rng = random.Random(SEED)
        # The recent weeks' extra whistles draw from their own stream: the year's draws stay as they are.
        self.whistles = random.Random(SEED + 1)
        tz = clock.city_tz()
        today = now.astimezone(tz).date()
        # From the first of this month a year ago: twelve whole months, and this one until yesterday.
        self.first = date(today.year - 1, today.month, 1)
        self.last = today - timedelta(days=1)
        self.cutoff = datetime.combine(today, time(0), tz)
        self.policy = deadlines.active_policy(session)
        self.by_id = {u.id: u for u in units.values()}
        self.centre = units["420106-C"]
        self._shapes: dict[int, BaseGeometry] = {}
        self._categories()
        self._places()
        self._profiles()

    # --- set-up ---------------------------------------------------------------------------------

    def _categories(self) -> None:
        categories = catalog.active_categories(self.session)
        parents = {c.parent_code for c in categories.values()}
        rules = {r.category_code: r.owner_unit_id for r in self.session.scalars(
            select(RoutingRule).where(RoutingRule.place_unit_id.is_(None), RoutingRule.active.is_(True)))
            if r.category_code}
        self.department_of: dict[str, int] = {}
        chosen: list[Category] = []
        for code, category in categories.items():
            if code in parents or category.owner_kind is OwnerKind.CITY:
                continue
            owner = next((rules[code[:n]] for n in range(len(code), 1, -2) if code[:n] in rules), None)
            if owner is not None:
                self.department_of[code] = owner
            consult = category.limit_class is LimitClass.CONSULT
            if category.owner_kind is OwnerKind.DEPARTMENT and owner is None and not consult:
                continue  # no demo department answers for it
            chosen.append(category)
        self.categories = chosen
        self.weights: dict[int, list[float]] = {}
        for month in range(1, 13):
            weights = []
            for c in chosen:
                base = 2.0 if c.limit_class is LimitClass.CONSULT else KIND_WEIGHT.get(c.owner_kind, 1.0)
                weights.append(base * POPULAR.get(c.code, 1.0) * SEASONAL.get(c.code, {}).get(month, 1.0))
            self.weights[month] = weights

    def _places(self) -> None:
        units = sorted(self.units.values(), key=lambda u: u.code)
        self.communities = [u for u in units if u.kind is UnitKind.COMMUNITY and u.households]
        self.grids: dict[int, list[Unit]] = {}
        for grid in (u for u in units if u.kind is UnitKind.GRID and u.geometry and u.parent_id):
            self.grids.setdefault(grid.parent_id or 0, []).append(grid)
        self.communities = [c for c in self.communities if c.id in self.grids]
        self.community_weights = [(c.households or 0) * (1.8 if c.code.startswith("420106001") else 1.0)
                                  for c in self.communities]
        self.property_of = {u.parent_id: u for u in units if u.kind is UnitKind.PROPERTY}
        self.with_property = [c for c in self.communities if c.id in self.property_of]
        self.enforcement_of = {u.parent_id: u for u in units if u.kind is UnitKind.ENFORCEMENT}

    def _profiles(self) -> None:
        rng = random.Random(SEED + 1)
        self.profiles: dict[int, Profile] = {}
        for unit in sorted(self.units.values(), key=lambda u: u.code):
            if unit.kind is UnitKind.STREET:
                start = rng.uniform(0.72, 0.84)
                self.profiles[unit.id] = STREETS.get(unit.name) or Profile(
                    start, start + rng.uniform(0.0, 0.05), rng.uniform(0.86, 0.95), rng.uniform(0.8, 0.92),
                    rng.uniform(0.12, 0.3))
            elif unit.kind is UnitKind.DEPARTMENT:
                self.profiles[unit.id] = DEPARTMENTS.get(unit.code.rsplit("-", 1)[-1], Profile(0.8, 0.8, 0.9, 0.85))
            elif unit.kind is UnitKind.PROPERTY:
                start = rng.uniform(0.55, 0.85)
                self.profiles[unit.id] = Profile(start, start, rng.uniform(0.7, 0.95), rng.uniform(0.6, 0.9))
        for unit in sorted(self.units.values(), key=lambda u: u.code):
            if unit.kind in (UnitKind.COMMUNITY, UnitKind.ENFORCEMENT, UnitKind.GRID):
                street = self._street_of(unit)
                base = self.profiles.get(street.id) if street else None
                if base is not None:
                    shift = {UnitKind.GRID: 0.04, UnitKind.ENFORCEMENT: -0.03}.get(unit.kind, rng.uniform(-0.04, 0.03))
                    self.profiles[unit.id] = Profile(min(0.98, base.resolved_from + shift),
                                                     min(0.98, base.resolved_to + shift), base.responds,
                                                     base.finishes, base.patrol)

    def _street_of(self, unit: Unit) -> Unit | None:
        node: Unit | None = unit
        while node is not None and node.kind is not UnitKind.STREET:
            node = self.by_id.get(node.parent_id) if node.parent_id else None
        return node

    # --- drawing --------------------------------------------------------------------------------

    def _minutes(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=int(self.rng.uniform(low, high) * 60))

    def _between(self, start: datetime, end: datetime, low: float = 0.1, high: float = 0.9) -> datetime:
        return start + timedelta(seconds=int((end - start).total_seconds() * self.rng.uniform(low, high)))

    def _point(self, grid: Unit) -> tuple[float, float]:
        area = self._shapes.get(grid.id)
        if area is None:
            assert grid.geometry is not None
            area = self._shapes[grid.id] = shape(grid.geometry)
        min_x, min_y, max_x, max_y = area.bounds
        for _ in range(30):
            point = Point(self.rng.uniform(min_x, max_x), self.rng.uniform(min_y, max_y))
            if area.contains(point):
                return round(point.x, 6), round(point.y, 6)
        inside = area.representative_point()
        return round(inside.x, 6), round(inside.y, 6)

    def _deadline(self, limit: LimitKind, at: datetime, keys: dict[str, str | None],
                  fallback: timedelta) -> tuple[datetime, datetime]:
        """The deadline under the demo's policy, and when its light turns yellow (as intake computes them)."""
        found = deadlines.compute(self.session, limit, at, keys, policy_id=None)
        if found is None:
            return at + fallback, at + fallback * 0.8
        return found.due_at, found.warn_at

    def _poisson(self, mean: float) -> int:
        limit, k, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            k += 1
            product *= self.rng.random()
        return k

    def generate(self) -> list[Draft]:
        drafts: list[Draft] = []
        days = (self.last - self.first).days + 1
        for offset in range(days):
            day = self.first + timedelta(days=offset)
            weekday = 0.75 if day.weekday() >= 5 else 1.0
            for _ in range(self._poisson(DAILY * MONTH_WEIGHT[day.month] * weekday)):
                draft = self._order(day, offset / max(1, days - 1))
                if draft is not None:
                    drafts.append(draft)
        mains = [d for d in drafts if d.values["channel"] is not Channel.GRID_PATROL and d.values["grade"] is not None]
        for main in self.rng.sample(mains, len(mains) // 70):
            duplicate = self._duplicate(main)
            if duplicate is not None:
                drafts.append(duplicate)
        repeats.rehandle(self, drafts)
        return drafts

    def limit_keys(self, values: dict[str, Any]) -> dict[str, str | None]:
        """What the time-limit policy matches a drawn order on."""
        category = next(c for c in self.categories if c.code == values["category_code"])
        return _keys(category, values["type"], values["urgency"], values["channel"])

    # --- one order ------------------------------------------------------------------------------

    def _owner(self, category: Category, street: Unit, community: Unit, grid: Unit, patrol: bool) -> Unit | None:
        ruled = self.department_of.get(category.code)
        if ruled is not None:  # the duty list names a department, whatever level the catalog gives it
            return self.by_id[ruled]
        kind = category.owner_kind
        if kind is OwnerKind.COMMUNITY:
            # Where the grid has a worker with an account, the grid takes what its worker can solve.
            if grid.id in self.staff.grid_workers and (patrol or self.rng.random() < 0.4):
                return grid
            return community
        if kind is OwnerKind.PROPERTY:
            return self.property_of.get(community.id, street)
        if kind is OwnerKind.ENFORCEMENT:
            return self.enforcement_of.get(street.id, street)
        if kind is OwnerKind.STREET:
            return street
        return None

    def _type(self, category: Category, patrol: bool) -> OrderType:
        """What the citizen calls it: a matter that cannot wait is a call for help or a complaint, never a
        suggestion; what only the police pursue is mostly reported (举报)."""
        if category.limit_class is LimitClass.CONSULT:
            return OrderType.CONSULTATION
        if patrol:
            return OrderType.REPORT if self.rng.random() < 0.6 else OrderType.HELP
        weights = TYPE_WEIGHTS.get(category.limit_class) or TYPE_WEIGHTS_BY_CODE.get(category.code[:4]) \
            or TYPE_WEIGHTS[None]
        return self.rng.choices(ORDER_TYPES, weights=weights)[0]

    def _urgency(self, category: Category) -> Urgency:
        chance = self.rng.random()
        if category.limit_class is LimitClass.IMMEDIATE:
            return Urgency.EMERGENCY if chance < 0.5 else Urgency.URGENT
        if category.limit_class is LimitClass.URGENT and chance < 0.2:
            return Urgency.URGENT
        return Urgency.NORMAL

    def _order(self, day: date, progress: float) -> Draft | None:
        rng = self.rng
        category = rng.choices(self.categories, weights=self.weights[day.month])[0]
        consult = category.limit_class is LimitClass.CONSULT
        pool = self.with_property if category.owner_kind is OwnerKind.PROPERTY and rng.random() < 0.75 else None
        community = rng.choice(pool) if pool else rng.choices(self.communities, weights=self.community_weights)[0]
        grid = rng.choice(self.grids[community.id])
        street = self._street_of(community)
        assert street is not None
        # Grid workers find more of their grids' problems as the year goes on.
        patrol = (category.owner_kind in PATROL_KINDS and not consult
                  and rng.random() < self.profiles[street.id].patrol * (0.8 + 0.4 * progress))
        channel = Channel.GRID_PATROL if patrol else rng.choices([c for c, _ in CHANNELS],
                                                                 weights=[w for _, w in CHANNELS])[0]
        owner = self._owner(category, street, community, grid, patrol)
        direct = consult and (owner is None or rng.random() < 0.7)
        order_type, urgency = self._type(category, patrol), self._urgency(category)
        hour = rng.randint(8, 16) if patrol else rng.choices(range(24), weights=HOURS)[0]
        created = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), clock.city_tz())
        worker = self.staff.grid_workers.get(grid.id) if patrol else None
        creator = worker or (self.operator if channel in (Channel.HOTLINE, Channel.GRID_PATROL) else None)
        status = Status.ACCEPTED if creator is self.operator else Status.NEW
        lon, lat = self._point(grid)
        title, content = texts.request_text(rng, category.code, category.keywords, community.name,
                                            order_type=order_type,
                                            immediate=category.limit_class is LimitClass.IMMEDIATE)
        values = bulk.base_values()
        values.update(
            channel=channel, type=order_type, urgency=urgency, status=Status.ARCHIVED,
            citizen_name=((worker.full_name.split()[-1] if worker else "网格员巡查") if patrol
                          else texts.citizen_name(rng)),
            citizen_phone=None if patrol else f"1{rng.choice('35789')}{rng.randrange(10**9):09d}",
            title=title, content=content, address=f"武昌区{street.name}{community.name}", latitude=lat, longitude=lon,
            street_id=street.id, community_id=community.id, grid_id=grid.id, place_unit_id=grid.id,
            location_source=LocationSource.COORDINATES, location_confidence=1.0, category_code=category.code,
            grade=category.grade, created_by_id=creator.id if creator else None, created_at=created,
            policy_id=self.policy.id if self.policy else None)
        keys = _keys(category, order_type, urgency, channel)
        values["finish_due_at"], values["finish_warn_at"] = self._deadline(LimitKind.FINISH, created, keys,
                                                                           timedelta(days=3))
        steps = [Step(Action.CREATE, created, creator, status, payload={"channel": channel.value},
                      anonymous_name="市民")]
        at = created
        if status is Status.NEW:
            values["accept_due_at"], values["accept_warn_at"] = self._deadline(LimitKind.ACCEPT, created, keys,
                                                                               timedelta(minutes=30))
            at = created + self._minutes(3, 26)
            steps.append(Step(Action.ACCEPT, at, self.operator, Status.ACCEPTED))
        if direct or owner is None:
            at += self._minutes(3, 15)
            note = rng.choice(texts.CONSULT_ANSWERS)
            steps.append(Step(Action.DIRECT_REPLY, at, self.operator, Status.ARCHIVED, note=note))
            values.update(owner_unit_id=self.centre.id, replied_at=at, responded_at=at, closed_at=at, updated_at=at,
                          reply_text=note, version=len(steps))
            return Draft(values, steps)
        spot = patrol and category.grade is Grade.A and owner.kind is UnitKind.GRID
        return self._life(Draft(values, steps), at, owner, keys, category, progress, spot=spot)

    def _duplicate(self, main: Draft) -> Draft | None:
        """The same matter called in again by its citizen before the first was answered: merged (并案), and the
        two linked into a thread (see ``repeats``)."""
        first = main.values
        created = first["created_at"] + self._minutes(60, 30 * 60)
        if first["replied_at"] is None or created >= first["replied_at"] - timedelta(hours=1):
            return None
        category = next(c for c in self.categories if c.code == first["category_code"])
        owner = self.by_id[first["owner_unit_id"]]
        community = self.by_id[first["community_id"]]
        title, content = texts.request_text(self.rng, category.code, category.keywords, community.name,
                                            order_type=first["type"],
                                            immediate=category.limit_class is LimitClass.IMMEDIATE)
        # Drawn, though the citizen is the first one's, so the rest of the year keeps its draws.
        texts.citizen_name(self.rng), self.rng.randrange(10**9)
        values = {**first, "title": title, "content": content, "channel": Channel.HOTLINE,
                  "created_by_id": self.operator.id, "created_at": created, "accept_due_at": None,
                  "accept_warn_at": None}
        keys = _keys(category, values["type"], values["urgency"], Channel.HOTLINE)
        values["finish_due_at"], values["finish_warn_at"] = self._deadline(LimitKind.FINISH, created, keys,
                                                                           timedelta(days=3))
        steps = [Step(Action.CREATE, created, self.operator, Status.ACCEPTED,
                      payload={"channel": Channel.HOTLINE.value})]
        return self._life(Draft(values, steps, main=main), created, owner, keys, category, 0.5, spot=False)

    def _daytime(self, at: datetime) -> datetime:
        """People sign, handle and reply in the day: an instant at night moves to the next morning."""
        local = at.astimezone(clock.city_tz())
        if 7 <= local.hour < 22:
            return at
        morning = local.date() + timedelta(days=1 if local.hour >= 22 else 0)
        return datetime.combine(morning, time(8, self.rng.randrange(60)), clock.city_tz())

    def _life(self, draft: Draft, at: datetime, owner: Unit, keys: dict[str, str | None], category: Category,
              progress: float, *, spot: bool) -> Draft | None:
        """Dispatch to ``owner`` and everything after, to the archive; None when it would end after yesterday."""
        rng, values, steps = self.rng, draft.values, draft.steps
        handler = (self.staff.grid_workers if owner.kind is UnitKind.GRID else self.staff.handlers).get(owner.id)
        if handler is None:
            return None
        profile = self.profiles.get(owner.id) or Profile(0.8, 0.8, 0.9, 0.85)
        auto = not spot and draft.main is None and rng.random() < 0.2
        dispatched = at + (self._minutes(2, 10) if spot else self._minutes(0.2, 1.5) if auto else self._minutes(4, 70))
        sign_due, sign_warn = self._deadline(LimitKind.SIGN, dispatched, keys, timedelta(hours=2))
        respond_due, respond_warn = self._deadline(LimitKind.RESPOND, dispatched, keys, timedelta(days=1))
        finish_due, finish_warn = self._deadline(LimitKind.FINISH, dispatched, keys, timedelta(days=3))
        payload: dict[str, Any] = {"unit_id": owner.id, "unit_name": owner.name, "deadlines": {
            "sign": [None, iso(sign_due)], "respond": [None, iso(respond_due)],
            "finish": [iso(values["finish_due_at"]), iso(finish_due)]}}
        if auto:
            payload.update(auto=True, category=category.code, confidence=round(rng.uniform(0.86, 0.98), 2))
            steps.append(Step(Action.DISPATCH, dispatched, None, Status.DISPATCHED, payload=payload,
                              note=f"自动派单：分类“{category.name}”由 {owner.name} 办理",
                              anonymous_name="系统（自动派单）"))
        else:
            steps.append(Step(Action.DISPATCH, dispatched, self.dispatcher, Status.DISPATCHED,
                              note="请按时限办理并答复市民", payload=payload))
        if spot:
            signed = dispatched + self._minutes(2, 15)
        elif rng.random() < 0.05:
            signed = self._daytime(max(sign_due, dispatched) + self._minutes(10, 240))
        else:
            signed = self._daytime(self._between(dispatched, max(sign_due, dispatched + timedelta(minutes=30)),
                                                 0.05, 0.8))
        steps.append(Step(Action.SIGN, signed, handler, Status.SIGNED))
        if spot:
            responded = signed + self._minutes(10, 40)
        elif rng.random() < profile.responds and respond_due > signed + timedelta(minutes=30):
            responded = self._between(signed, respond_due, 0.05, 0.7)
        else:
            responded = self._daytime(max(respond_due, signed) + self._minutes(60, 40 * 60))
        steps.append(Step(Action.HANDLE, responded, handler, Status.HANDLING,
                          note=rng.choice(texts.ON_THE_SPOT if spot else texts.HANDLE_NOTES)))
        last = responded
        if not spot and owner.kind in WHISTLING_KINDS and rng.random() < 0.05:
            last = self._whistle(draft, handler, owner, responded)
        finishes = rng.random() < profile.finishes
        if spot:
            replied = last + self._minutes(20, 90)
        elif finishes and finish_due > last + timedelta(hours=2):
            replied = self._daytime(self._between(last, finish_due, 0.15, 0.9))
        elif finishes:
            replied = last + self._minutes(60, 180)
        else:
            replied = self._daytime(max(finish_due, last) + self._minutes(120, 60 * 24 * 5))
        if last == responded and not spot and owner.kind in WHISTLING_KINDS:
            self._recent_whistle(draft, handler, responded, replied)
        outcome = outcomes.callback(rng, draft, profile, progress, spot=spot)
        if draft.main is not None:
            note = texts.DUPLICATE_REPLY
        else:
            note = rng.choice(texts.ON_THE_SPOT if spot else texts.REPLIES[(outcome["resolution"]
                                                                           or Resolution.PARTLY).value])
        steps.append(Step(Action.REPLY, replied, handler, Status.REPLIED, note=note))
        approved = replied + self._minutes(30, 18 * 60)
        callback_due, callback_warn = self._deadline(LimitKind.CALLBACK, approved, keys, timedelta(days=2))
        steps.append(Step(Action.APPROVE, approved, self.dispatcher, Status.REVIEWED,
                          payload={"deadlines": {"callback": [None, iso(callback_due)]}}))
        if rng.random() < 0.9 and callback_due > approved + timedelta(hours=1):
            called_back = self._daytime(self._between(approved, callback_due, 0.05, 0.8))
        else:
            called_back = self._daytime(max(callback_due, approved) + self._minutes(120, 30 * 60))
        steps.append(Step(Action.CALLBACK, called_back, self.reviewer, Status.CALLED_BACK, note=outcome.pop("note"),
                          payload={"reached": outcome["callback_reached"],
                                   "resolution": bulk.value(outcome["resolution"]),
                                   "satisfaction": bulk.value(outcome["satisfaction"]),
                                   "method": bulk.value(outcome["callback_method"])}))
        archived = called_back + self._minutes(5, 90)
        ruling, reason = outcomes.ruling(rng, outcome) if draft.main is None else (None, None)
        steps.append(Step(Action.ARCHIVE, archived, self.reviewer, Status.ARCHIVED, note=reason or "",
                          payload={"ruling": ruling.value} if ruling else {}))
        if archived >= self.cutoff:
            return None
        steps.sort(key=lambda s: s.at)
        values.update(outcome, owner_unit_id=owner.id, dispatched_at=dispatched,
                      return_due_at=dispatched + timedelta(hours=24), sign_due_at=sign_due, sign_warn_at=sign_warn,
                      respond_due_at=respond_due, respond_warn_at=respond_warn, responded_at=responded,
                      finish_due_at=finish_due, finish_warn_at=finish_warn, callback_due_at=callback_due,
                      callback_warn_at=callback_warn, replied_at=replied, reply_text=note, closed_at=archived,
                      updated_at=archived, ruling=ruling, ruling_reason=reason, version=len(steps))
        return draft

    def _whistle(self, draft: Draft, handler: User, owner: Unit, after: datetime) -> datetime:
        """吹哨: the owner calls one or two departments; each reports, a quarter of them after the 24 hours."""
        rng = self.rng
        called_at = self._daytime(after + self._minutes(30, 240))
        called = [self.units[code] for code in rng.sample(WHISTLED, rng.choice((1, 1, 2)))]
        draft.steps.append(Step(Action.WHISTLE, called_at, handler, Status.HANDLING,
                                note=rng.choice(texts.WHISTLE_NOTES),
                                payload={"units": [{"id": u.id, "name": u.name} for u in called]}))
        last = called_at
        for unit in called:
            late = rng.random() < 0.25
            reported = called_at + (self._minutes(25 * 60, 60 * 60) if late else self._minutes(60, 20 * 60))
            note = rng.choice(texts.REPORT_NOTES)
            draft.steps.append(Step(Action.REPORT, reported, self.staff.handlers[unit.id], Status.HANDLING, note=note,
                                    payload={"unit_id": unit.id, "unit_name": unit.name, "late": late}))
            draft.calls.append({"unit_id": unit.id, "called_by_id": handler.id, "called_at": called_at,
                                "report_due_at": called_at + timedelta(hours=24), "reported_at": reported,
                                "report": note})
            last = max(last, reported)
        return last


    def _recent_whistle(self, draft: Draft, handler: User, after: datetime, before: datetime) -> None:
        """In the last weeks, a share of the orders call one or two departments between the first contact and the
        reply (every report before the reply); drawn from ``self.whistles`` only."""
        rng = self.whistles
        if before < self.cutoff - timedelta(days=RECENT_WHISTLE_DAYS) or rng.random() >= RECENT_WHISTLE_SHARE:
            return
        called_at = after + timedelta(minutes=int(rng.uniform(30, 240)))
        if before - called_at < timedelta(hours=62):  # a late report comes up to 60 hours after the call
            return
        called = [self.units[code] for code in rng.sample(WHISTLED, rng.choice((1, 1, 2)))]
        draft.steps.append(Step(Action.WHISTLE, called_at, handler, Status.HANDLING,
                                note=rng.choice(texts.WHISTLE_NOTES),
                                payload={"units": [{"id": u.id, "name": u.name} for u in called]}))
        for unit in called:
            how = rng.choices([h for h, _ in RECENT_REPORTS], weights=[w for _, w in RECENT_REPORTS])[0]
            hours = rng.uniform(25, 60) if how == "late" else rng.uniform(1, 20)
            reported = None if how == "never" else called_at + timedelta(minutes=int(hours * 60))
            note = rng.choice(texts.REPORT_NOTES)
            if reported is not None:
                draft.steps.append(Step(Action.REPORT, reported, self.staff.handlers[unit.id], Status.HANDLING,
                                        note=note, payload={"unit_id": unit.id, "unit_name": unit.name,
                                                            "late": how == "late"}))
            draft.calls.append({"unit_id": unit.id, "called_by_id": handler.id, "called_at": called_at,
                                "report_due_at": called_at + timedelta(hours=24), "reported_at": reported,
                                "report": note if reported is not None else None})


def _keys(category: Category, order_type: OrderType, urgency: Urgency, channel: Channel) -> dict[str, str | None]:
    """What the time-limit policy's lines are matched on."""
    return {"grade": category.grade.value, "type": order_type.value, "urgency": urgency.value,
            "channel": channel.value, "limit_class": category.limit_class.value}


def build_year(session: Session, units: dict[str, Unit], personas: dict[Role, User],
               staff: Staff) -> tuple[date, date]:
    """Write the year of archived orders; returns its first and last day."""
    year = _Year(session, units, personas, staff, clock.now())
    drafts = year.generate()
    bulk.write(session, drafts, org_queries.cached_root_prefix(session) or order_service.DEFAULT_PREFIX)
    repeats.link_threads(session, drafts, dispatcher=year.dispatcher, units=year.by_id)
    return year.first, year.last
