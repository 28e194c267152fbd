"""Hot-issue clustering on reports the test writes: planted matters come out as exactly those clusters, hottest
first; one voice is no hot issue; one matter in other words is one issue; the same words elsewhere or much later
are another."""

from __future__ import annotations

from datetime import datetime, timedelta

from minhu.insight import hot
from minhu.insight.hot import Report, find_hot_issues, read_report

DAY0 = datetime(2026, 5, 4, 9, 0)

# A building site's night work, by four neighbours in their own words, over five days.
NOISE = (
    ("锦绣花园旁边工地夜间施工噪音扰民", "锦绣花园东门外的工地每晚施工到凌晨两点，打桩声音很大，孩子无法入睡。"),
    ("工地半夜还在打桩", "我住锦绣花园3栋，隔壁工地晚上十一点以后还在打桩施工，噪音太大了，根本睡不着。"),
    ("夜间施工太吵", "锦绣花园小区附近的工地夜里施工，机器轰鸣，打桩不停，影响休息。"),
    ("锦绣花园附近工地凌晨施工", "凌晨一点锦绣花园边上的工地还在打桩施工，噪音扰民，请城管查处夜间施工。"),
)
# An estate without water, by three residents, with support on the board.
OUTAGE = (
    ("幸福里小区停水两天了", "幸福里小区从前天开始停水，没有任何通知，老人做饭洗澡都成问题，请尽快恢复供水。"),
    ("幸福里停水无通知", "幸福里小区2栋到8栋全部停水，物业说是管道爆裂，什么时候恢复供水？停水也不通知。"),
    ("小区停水", "幸福里小区停水一天多了，自来水公司电话打不通，请尽快恢复供水。"),
)
# Single matters, each said once.
LONE = (
    ("阳光花园路灯不亮", "阳光花园5栋门口的路灯坏了一个多星期，晚上漆黑一片。"),
    ("物业乱收费", "金桥小区物业今年把物业费从每平米1.2元涨到2元，没有开业主大会。"),
    ("公交站牌破损", "和平大道公交站的站牌被撞坏了，看不清线路。"),
    ("餐馆油烟扰民", "中山路一家餐馆油烟直排，楼上住户窗户都不敢开。"),
    ("咨询社保转移", "从外地调来工作，养老保险关系怎么转到本市？"),
)


def _reports(rows, *, prefix: str, start: datetime, area: str | None = "S1", likes: int = 0,
             citizens: list[str] | None = None) -> list[Report]:
    return [read_report(f"{prefix}{n}", title, text, start + timedelta(days=n, hours=n), likes=likes,
                        citizen=(citizens[n] if citizens else f"{prefix}-citizen-{n}"), area=area)
            for n, (title, text) in enumerate(rows)]


def _lone(start: datetime) -> list[Report]:
    return _reports(LONE, prefix="lone", start=start)


def test_two_planted_matters_are_exactly_the_two_issues_ranked_by_heat() -> None:
    noise = _reports(NOISE, prefix="noise", start=DAY0)
    outage = _reports(OUTAGE, prefix="water", start=DAY0 + timedelta(days=2), likes=15)

    issues = find_hot_issues(noise + outage + _lone(DAY0))

    assert [sorted(i.report_ids) for i in issues] == [["water0", "water1", "water2"],
                                                      ["noise0", "noise1", "noise2", "noise3"]]
    assert [i.rank for i in issues] == [1, 2]
    assert issues[0].heat > issues[1].heat
    assert issues[0].likes == 45
    assert issues[0].citizens == 3
    assert "幸福里" in issues[0].place
    assert "锦绣花园" in issues[1].place
    assert issues[1].title in {title for title, _ in NOISE}


def test_heat_weighs_reports_citizens_support_and_growth() -> None:
    assert hot.heat_of(4, 4, 0, 0.0) > hot.heat_of(3, 3, 0, 0.0)
    assert hot.heat_of(3, 3, 100, 0.0) > hot.heat_of(3, 3, 0, 0.0)
    assert hot.heat_of(3, 3, 0, 1.0) > hot.heat_of(3, 3, 0, 0.0) > hot.heat_of(3, 3, 0, -1.0)
    # Support is damped: two thousand likes do not make two reports hotter than thirty citizens.
    assert hot.heat_of(30, 30, 0, 0.0) > hot.heat_of(2, 2, 2000, 0.0)
    later = [DAY0, DAY0 + timedelta(days=9), DAY0 + timedelta(days=10)]
    assert hot.growth_of(later) > 0 > hot.growth_of([DAY0, DAY0 + timedelta(days=1), DAY0 + timedelta(days=10)])


def test_a_lone_report_and_one_citizen_repeating_himself_are_no_issue() -> None:
    one_voice = _reports(NOISE, prefix="noise", start=DAY0, citizens=["same"] * len(NOISE))

    assert find_hot_issues(one_voice + _lone(DAY0)) == []
    assert find_hot_issues(_lone(DAY0)) == []
    assert find_hot_issues(_reports(NOISE[:1], prefix="noise", start=DAY0)) == []


def test_one_matter_in_varied_wording_is_one_issue() -> None:
    issues = find_hot_issues(_reports(NOISE, prefix="noise", start=DAY0) + _lone(DAY0))

    assert len(issues) == 1
    assert issues[0].count == len(NOISE)


def test_the_same_words_at_another_place_or_much_later_are_another_issue() -> None:
    here = _reports(OUTAGE, prefix="here", start=DAY0)
    elsewhere = _reports([(t.replace("幸福里", "金桂苑"), d.replace("幸福里", "金桂苑")) for t, d in OUTAGE],
                         prefix="there", start=DAY0, area="S2")
    later = _reports(OUTAGE, prefix="later", start=DAY0 + timedelta(days=200))

    issues = find_hot_issues(here + elsewhere + later + _lone(DAY0))

    assert sorted(sorted(i.report_ids) for i in issues) == [["here0", "here1", "here2"],
                                                           ["later0", "later1", "later2"],
                                                           ["there0", "there1", "there2"]]
    assert any("金桂苑" in i.place for i in issues)


def test_the_same_reports_in_any_order_give_the_same_list() -> None:
    reports = _reports(NOISE, prefix="noise", start=DAY0) + _reports(OUTAGE, prefix="water", start=DAY0) + _lone(DAY0)

    assert find_hot_issues(reports) == find_hot_issues(list(reversed(reports)))
