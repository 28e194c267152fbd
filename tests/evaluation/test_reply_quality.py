"""Reply quality scoring on replies written for the purpose: what a reviewer would call good, empty, or
about something else."""

import tomllib

import pytest

from minhu.evaluation.reply_quality import RULES_FILE, Grade, ReplyInput, parse_rules, score

TITLE = "和平大道工地夜间施工噪音扰民"
DETAIL = "和平大道与积玉桥路口的工地每晚施工到凌晨两点，搅拌机和渣土车噪音很大，孩子无法入睡。"
COMPLETE = (
    "王女士您好！您反映的和平大道工地夜间施工噪音扰民问题已收悉。经核查，该工地为积玉桥路口的住宅项目，"
    "11月20日晚执法人员到现场查看，工地在22时后仍使用搅拌机作业、渣土车进出，未办理夜间施工许可。"
    "根据《中华人民共和国噪声污染防治法》第四十三条规定，我局已责令施工单位立即停止夜间作业并整改，"
    "并依法处以罚款。目前该工地已停止22时后的施工，渣土车改在白天进出。如再发现夜间施工，"
    "请拨打区城管执法局值班电话027-88881234，联系人张科长。感谢您对我们工作的支持！"
)
BOILERPLATE = "您好！您反映的问题已收悉，我们高度重视，已转相关部门调查处理，请耐心等待。感谢您的支持！"
OFF_TOPIC = (
    "您好！经核查，光明小学的寒假安排依据《市教育局关于2026年寒假工作的通知》执行，学校已按规定放假，"
    "目前没有组织学生集中补课。如有疑问请拨打教育局咨询电话027-86661234。感谢您的关心！"
)


def test_a_complete_reply_scores_high_and_lacks_nothing():
    quality = score(ReplyInput(TITLE, DETAIL, COMPLETE, days_taken=2, limit_days=3))
    assert quality.score >= 80
    assert quality.grade is Grade.EXCELLENT
    assert quality.grade_label == "优"
    assert quality.missing == ()
    assert not quality.says_nothing


def test_a_boilerplate_reply_scores_low_and_names_what_it_lacks():
    quality = score(ReplyInput(TITLE, DETAIL, BOILERPLATE, days_taken=1, limit_days=3))
    assert quality.grade is Grade.POOR
    assert quality.score <= 30
    assert quality.says_nothing
    assert [m.label for m in quality.missing] == ["核查情况", "处理措施", "政策依据", "办理结果", "联系方式"]
    tone = next(c for c in quality.criteria if c.key == "tone")
    assert any("没有说明事实" in r for r in tone.reasons)


def test_a_reply_about_something_else_scores_low_on_relevance():
    on_topic = score(ReplyInput(TITLE, DETAIL, COMPLETE))
    off_topic = score(ReplyInput(TITLE, DETAIL, OFF_TOPIC))
    relevance = next(c for c in off_topic.criteria if c.key == "relevance")
    assert relevance.score is not None
    assert relevance.score < 10
    assert any("答非所问" in r for r in relevance.reasons)
    assert off_topic.score < on_topic.score
    assert off_topic.grade in (Grade.FAIR, Grade.POOR)


def test_a_capped_score_says_which_cap_lowered_it():
    # Relevant enough and on time, so its criteria weigh more than 30; but it says nothing beyond stock phrases.
    reply = "您好！和平大道工地噪音已收悉，已转相关部门调查处理，请耐心等待。感谢您的支持！"
    empty = score(ReplyInput(TITLE, DETAIL, reply, days_taken=1, limit_days=3))
    assert empty.says_nothing
    assert empty.score == 30
    [reason] = empty.caps
    assert reason.startswith("答复仅有套话、缺少事实，总分封顶 30 分")
    off_topic = score(ReplyInput(TITLE, DETAIL, OFF_TOPIC, days_taken=1, limit_days=3))
    assert off_topic.score == 40
    assert [c.split("，")[:2] for c in off_topic.caps] == [["答复答非所问", "总分封顶 40 分（各项加权 60 分）"]]
    assert score(ReplyInput(TITLE, DETAIL, COMPLETE)).caps == ()
    # Already below its cap: nothing was lowered, nothing to explain.
    assert score(ReplyInput(TITLE, DETAIL, BOILERPLATE, days_taken=1, limit_days=3)).caps == ()


def test_echoing_the_title_is_not_answering_it():
    echo = "您好！关于您反映的“和平大道工地夜间施工噪音扰民”的问题，已转相关部门。"
    relevance = next(c for c in score(ReplyInput(TITLE, DETAIL, echo)).criteria if c.key == "relevance")
    assert relevance.score is not None
    assert relevance.score < 10


def test_a_late_reply_loses_timeliness_and_says_by_how_much():
    on_time = score(ReplyInput(TITLE, DETAIL, COMPLETE, days_taken=3, limit_days=3))
    late = score(ReplyInput(TITLE, DETAIL, COMPLETE, days_taken=6, limit_days=3))
    timeliness = next(c for c in late.criteria if c.key == "timeliness")
    assert timeliness.score is not None
    assert timeliness.score < 100
    assert "超时 3.0 个工作日" in timeliness.reasons[0]
    assert late.score < on_time.score


def test_without_times_timeliness_is_not_judged_and_carries_no_weight():
    quality = score(ReplyInput(TITLE, DETAIL, COMPLETE))
    timeliness = next(c for c in quality.criteria if c.key == "timeliness")
    assert timeliness.score is None
    assert "无法判断" in timeliness.reasons[0]
    assert quality.score >= 80


def test_a_consultation_is_not_asked_for_a_finding_or_an_action():
    answer = ("您好！根据《武汉市居住证管理办法》第十条规定，办理居住证需提供身份证和租房合同，"
              "目前可在积玉桥街政务服务中心当场办理。咨询电话027-88123456。感谢您的关注！")
    quality = score(ReplyInput("咨询积玉桥街居住证怎么办理", "请问办理居住证需要哪些材料？", answer))
    assert quality.missing == ()
    completeness = next(c for c in quality.criteria if c.key == "completeness")
    assert completeness.score == 100
    assert any("咨询类诉求" in r for r in completeness.reasons)


def test_the_rules_refuse_a_kind_that_expects_an_unknown_part():
    raw = tomllib.loads(RULES_FILE.read_text("utf-8"))
    raw["completeness"]["kinds"][0]["expects"] = ["basis", "apology"]
    with pytest.raises(ValueError, match="apology"):
        parse_rules(raw)
