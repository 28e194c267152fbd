"""The classifier's quality against a small hand-counted set of decisions: the figures, the confusion
matrix, the calibration table and the auto-dispatches that came back — the same from the command line,
the page and the API."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from minhu.cli import app as cli_app
from minhu.core import clock
from minhu.dispatch.report import production_report
from minhu.dispatch.schemas import period
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.roles import Role
from minhu.routing import catalog
from minhu.routing import service as routing
from minhu.routing.models import RoutingDecision
from tests.factories import PASSWORD, act, make_order
from tests.intake.test_pages import login


@dataclass(frozen=True)
class Decision:
    """What routing suggested for one order (best first, the first with ``confidence``) and what was chosen."""

    suggestions: tuple[str, ...]
    confidence: float | None
    chosen: str | None
    owner_suggested: bool = True
    owner_kept: bool = True
    auto: bool = False
    returned_after: bool = False


# Hand-counted. First level: 1 ✓ 2 ✓ 3 ✗ 4 ✗ 5 ✓ 6 ✗(no suggestion) 7 ✗  → 3/7
# Exact: 1 ✓ 5 ✓ → 2/7.  Among the three, first level: 1 2 3 4 5 → 5/7; exact: 1 3 5 → 3/7.
# Owner (over every decided one, 8 included): suggested on 1 2 4 5 8, kept on 1 4 5 8 → 4/5.
DECISIONS = (
    Decision(("0101", "0201", "0301"), 0.95, "0101"),
    Decision(("0101", "0205", "0301"), 0.97, "0102", owner_kept=False),
    Decision(("0201", "0101", "0301"), 0.68, "0101", owner_suggested=False),
    Decision(("0201", "0302"), 0.62, "0301"),
    Decision(("0301",), 0.55, "0301", returned_after=True),
    Decision((), None, "0201", owner_suggested=False),
    Decision(("0201",), 0.40, "0301", owner_suggested=False),
    Decision(("0101",), 0.91, None),  # dispatched without a category: decided, not judged
)


@pytest.fixture
def history(db, world):
    """The decisions above settled today (one of them returned by the street), one settled 40 days ago, one
    never settled, and three orders that dispatched themselves (one returned by the street)."""
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    orders = [_decided(db, world, d) for d in DECISIONS]
    old = _decided(db, world, Decision(("0101",), 0.9, "0201"))
    with db.transaction() as s:
        s.scalars(select(RoutingDecision).where(RoutingDecision.order_id == old.id)).one().chosen_at = (
            clock.now() - timedelta(days=40))
    make_order(db, world)  # waiting: suggested, never chosen
    for returned in (False, True, False):
        _auto_dispatched(db, world, returned=returned)
    return orders


def _decided(db, world, d: Decision):
    order = make_order(db, world)
    unit = world.street if d.owner_kept else world.department
    act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=unit.id,
        **({"category_code": d.chosen} if d.chosen else {}))
    with db.transaction() as s:
        decision = s.scalars(select(RoutingDecision).where(RoutingDecision.order_id == order.id)).one()
        decision.suggestions = [{"code": c, "name": c, "path": c, "confidence": 0.1, "source": "model"}
                                for c in d.suggestions]
        decision.suggested_category = d.suggestions[0] if d.suggestions else None
        decision.confidence = d.confidence
        decision.suggested_owner_id = world.street.id if d.owner_suggested else None
        decision.chosen_category = d.chosen
    if d.returned_after:
        act(db, order.number, Action.RETURN, world.handler, return_reason="outside", note="不在本街")
    return order


def _auto_dispatched(db, world, *, returned: bool):
    """An order routing dispatched by itself (as the intake path does), perhaps returned afterwards."""
    order = make_order(db, world, upto=Action.DISPATCH)
    with db.transaction() as s:
        decision = s.scalars(select(RoutingDecision).where(RoutingDecision.order_id == order.id)).one()
        decision.auto_dispatched, decision.chosen_category, decision.chosen_owner_id, decision.chosen_at = (
            True, None, None, None)
    if returned:
        act(db, order.number, Action.RETURN, world.handler, return_reason="not_ours", note="非本街职责")


def _today():
    return period(None, None, default_days=1)


def test_the_figures_are_what_was_counted_by_hand(db, history):
    span = _today()
    with db.read() as s:
        r = production_report(s, start=span.start, end=span.end)
    assert (r.decided, r.judged) == (8, 7)
    assert (r.top1, r.top1_exact, r.top3, r.top3_exact) == (3, 2, 5, 3)
    assert (r.owner_agreed, r.owner_suggested) == (4, 5)
    assert r.matrix == {("01", "01"): 2, ("02", "01"): 1, ("02", "03"): 2, ("03", "03"): 1, ("", "02"): 1}
    assert [r.row_total(s) for s in r.suggested_levels] == [2, 3, 1, 1]
    assert r.suggested_levels[-1] == ""  # orders without a suggestion are the last row
    assert [(b.low, b.high, b.count, b.mean_confidence, b.correct) for b in r.calibration] == [
        (0.0, 0.5, 1, 0.4, 0), (0.5, 0.6, 1, 0.55, 1), (0.6, 0.7, 2, 0.65, 0), (0.95, 1.0, 2, 0.96, 2)]
    # ECE = 1/6·0.40 + 1/6·0.45 + 2/6·0.65 + 2/6·0.04
    assert r.expected_calibration_error == pytest.approx(0.3717, abs=1e-4)
    assert [(c.suggested, c.chosen, c.count) for c in r.confusions] == [
        ("0201", "0301", 2), ("0101", "0102", 1), ("0201", "0101", 1)]
    # Routed today: the 8 decided, the one settled long ago (routed today too), the waiting one, the 3 auto.
    assert (r.routed, r.auto_dispatched, r.auto_returned) == (13, 3, 1)
    assert r.auto_return_rate == pytest.approx(1 / 3, abs=1e-4)
    assert (r.manual_dispatched, r.manual_returned) == (9, 1)
    assert [a.reason for a in r.auto_returns] == ["不属于本单位职责"]


def test_the_command_line_reports_the_same_figures(db, history, tmp_path):
    env = {"MINHU_HOME": str(tmp_path / "home"), "MINHU_DATABASE_URL": db.url, "MINHU_CONFIG": None}
    day = clock.city_now().date().isoformat()
    result = CliRunner().invoke(cli_app, ["model", "report", "--from", day, "--to", day], env=env)
    assert result.exit_code == 0, result.output
    assert "派单员确认 8 件，其中选定分类 7 件" in result.output
    assert "首选分类一致：一级 42.9%，精确 28.6%；前三建议含所选：一级 71.4%，精确 42.9%" in result.output
    assert "承办单位一致 80.0%（4/5" in result.output
    assert "0.95–1.00：2 件，平均置信度 96.0%，实际准确率 100.0%" in result.output
    assert "期望校准误差 ECE 0.372" in result.output
    assert "噪音扰民 → 交通运输 › 公共交通：2" in result.output
    assert "自动派单后被退单 1/3" in result.output
    reversed_period = CliRunner().invoke(cli_app, ["model", "report", "--from", day, "--to", "2020-01-01"], env=env)
    assert reversed_period.exit_code == 1
    assert "开始日期不能晚于结束日期" in reversed_period.output


def test_the_page_draws_the_matrix_and_the_api_says_the_same(client, world, history, token_for):
    login(client, world.leader)
    page = client.get("/dispatch/quality").text
    assert 'id="fig-top1">42.9%' in page  # 3 of 7
    assert 'id="fig-top3">71.4%' in page
    assert 'data-suggested="02" data-chosen="03" style="background: rgba(180,35,24,0.48)" title="2 / 3">2<' in page
    assert 'data-suggested="01" data-chosen="01" style="background: rgba(6,118,71,0.68)" title="2 / 2">2<' in page
    assert "（无建议）" in page
    assert 'id="ece">0.372<' in page

    body = client.get("/api/v1/dispatch/quality", headers=token_for(world.leader)).json()
    assert (body["decided"], body["judged"], body["top1_first_level"], body["top3_exact"]) == (8, 7, 0.4286, 0.4286)
    assert {"suggested": "02", "chosen": "03", "count": 2} in body["confusion"]
    assert {"suggested": None, "chosen": "02", "count": 1} in body["confusion"]
    assert body["owner_agreement"] == 0.8
    assert body["auto_returned"] == 1


def test_a_period_without_decisions_says_so(client, db, world, history, token_for):
    login(client, world.dispatcher)
    page = client.get("/dispatch/quality?from=2025-01-01&to=2025-01-31").text
    assert "此期间没有派单员选定分类的工单" in page
    headers = token_for(world.dispatcher)
    assert client.get("/api/v1/dispatch/quality?from=2025-02-01&to=2025-01-01", headers=headers).json()[
        "error"]["code"] == "invalid_period"
    assert client.get("/api/v1/dispatch/quality", headers=token_for(world.handler)).status_code == 403


@pytest.mark.parametrize(("query", "answer"), [
    ("to=0001-01-01", "invalid_period"), ("from=9999-12-31", "invalid_period"),
    ("from=2026-02-01&to=2026-01-01", "invalid_period"), ("to=2000-01-10", ("2000-01-01", "2000-01-10")),
    ("from=2026-01-05&to=2026-01-05", ("2026-01-05", "2026-01-05")),
])
def test_a_period_is_whole_days_within_the_years_the_city_can_mean(client, world, token_for, query, answer):
    body = client.get(f"/api/v1/dispatch/quality?{query}", headers=token_for(world.dispatcher)).json()
    if isinstance(answer, str):
        assert body["error"]["code"] == answer
    else:
        assert (body["period"]["first"], body["period"]["last"]) == answer


def test_the_calibration_names_the_auto_dispatch_threshold_in_use(client, world, history):
    login(client, world.leader)
    before = routing.config()
    kept = (before.models_dir, before.auto_dispatch_confidence)
    routing.configure(models_dir=None, auto_dispatch_confidence=0.9)
    try:
        assert "自动派单阈值（当前 0.90" in client.get("/dispatch/quality").text
        routing.configure(models_dir=None, auto_dispatch_confidence=None)  # no model, no setting: none
        page = client.get("/dispatch/quality").text
        assert "当前没有可用的自动派单阈值" in page
        assert "自动派单阈值（当前" not in page
    finally:
        routing.configure(models_dir=kept[0], auto_dispatch_confidence=kept[1])


def test_a_streets_leader_reads_the_figures_but_not_another_streets_orders(client, db, world, history, token_for):
    with db.transaction() as s:
        leader = org_service.create_user(s, username="lead2", password=PASSWORD, full_name="水果湖街 赵",
                                         role=Role.LEADER, unit=s.merge(world.other_street))
    theirs = client.get("/api/v1/dispatch/quality", headers=token_for(leader)).json()
    assert theirs["auto_returned"] == 1
    assert theirs["auto_returned_orders"] == []
    district = client.get("/api/v1/dispatch/quality", headers=token_for(world.leader)).json()
    assert len(district["auto_returned_orders"]) == 1
