"""How a report is read for comparison: the places it names, its matter, and the evidence two readings give."""

from __future__ import annotations

import random
from datetime import datetime

from minhu.duplicates import scoring
from minhu.duplicates.text import places_in, read, topics_in


def test_a_place_is_named_without_its_district_and_without_the_words_that_introduce_it() -> None:
    assert places_in("A市A5区魅力之城小区临街门面油烟扰民") == ["魅力之城", "魅力之城小区"]
    assert places_in("网格巡查发现楚河汉街3栋前路灯熄灭") == ["楚河汉街", "楚河汉街3栋"]
    # 路灯 and 路面 are the matter, not a road; 建筑工地 and 物业公司 name no particular place.
    assert places_in("路灯不亮，路面坑洼") == []
    assert places_in("边上的建筑工地深夜作业，物业公司不管") == []


def test_the_catalog_names_the_matter_at_its_finest() -> None:
    lamp, manhole = topics_in("路灯不亮"), topics_in("井盖缺失")
    assert lamp
    assert manhole
    assert not lamp & manhole  # both 市政设施, but a lamp is not a manhole


def test_the_same_matter_and_place_in_other_words_is_evidence_of_one_matter() -> None:
    a = read("幸福里小区路灯不亮", "幸福里小区3栋门口的路灯坏了一个多星期，晚上漆黑一片。")
    b = read("路灯坏了没人修", "我住在幸福里小区，三栋楼下那盏路灯一直不亮，请派人修一下。")
    found = scoring.evidence(a, b, a_time=datetime(2026, 5, 1, 20), b_time=datetime(2026, 5, 3, 8))

    assert "幸福里" in (found.shared_place or "")
    assert scoring.probability(found) >= scoring.forest().join
    assert "相隔 2 天" in scoring.reasons(found)  # a day and a half, rounded


def test_a_point_beyond_the_reach_outweighs_identical_words() -> None:
    text = read("路灯不亮", "楼栋之间的路灯坏了，晚上出行不安全。")
    near = scoring.evidence(text, text, metres=40, reach_metres=100)
    far = scoring.evidence(text, text, metres=900, reach_metres=100)

    assert scoring.probability(near) >= scoring.forest().join
    assert scoring.probability(far) < scoring.forest().suggest
    assert "相距 40 米" in scoring.reasons(near)
    assert "相距 0.9 公里" in scoring.reasons(far)


def test_the_compiled_forest_scores_exactly_as_walking_its_trees() -> None:
    # Intake scores with the forest compiled to one expression; a difference would move orders across the
    # join threshold. Vectors mix the values features take: flags, fractions and log-days.
    forest = scoring.forest()
    rng = random.Random(7)
    for _ in range(2_000):
        vector = [rng.choice((0.0, 1.0, rng.random(), rng.uniform(0.0, 5.0))) for _ in scoring.FEATURES]
        assert forest.log_odds(vector) == forest.walked_log_odds(vector)
    # And on every threshold itself, where ``<=`` decides the branch.
    for nodes in forest.trees:
        for feature, threshold, left, _right, _value in nodes:
            if left != -1:
                vector = [0.5] * len(scoring.FEATURES)
                vector[feature] = threshold
                assert forest.log_odds(vector) == forest.walked_log_odds(vector)
