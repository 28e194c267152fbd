"""Notification templates as an administrator writes them: whatever the text, saving it gives a preview or the
reasons it is refused, and sending falls back to the packaged text when an edited one fails."""

from __future__ import annotations

import logging

import pytest

from minhu.core.errors import InvalidInput
from minhu.notify import templates
from minhu.notify.templates import TemplateText

URGE = templates.spec("order.urge")
CONTEXT = {"order_number": "WC20261123000012", "order_title": "夜间施工噪音扰民", "unit_name": "积玉桥街",
           "deadline": "2026-11-26 18:00", "recipient_name": "张三"}


def with_body(body: str) -> TemplateText:
    return TemplateText(subject=URGE.default.subject, body=body, sms=URGE.default.sms)


@pytest.mark.parametrize("body", [
    "{{ 1 / 0 }}", "{{ 1 // 0 }}", "{{ 2.0 ** 10000 }}", "{{ range(100001) }}", "{{ {}|dictsort(by='x') }}",
])
def test_a_body_that_fails_while_rendering_is_refused_with_a_reason(body):
    # Division by zero, an overflow or a filter's argument error came out of the preview as a 500.
    with pytest.raises(InvalidInput) as refused:
        templates.check(URGE, with_body(body))

    assert refused.value.code == "template_invalid"
    assert refused.value.details[0]["field"] == "body"
    assert refused.value.details[0]["message"].startswith("正文无法生成：")


@pytest.mark.parametrize("body", [
    "{{ 'x' if (0)[0] else 'y' }}",  # folded while compiling: the undefined test raises there
    "{{ order_title|truncate(0) }}",  # the filter asserts its length
    "{{ order_title ~ 1e999 }}", "{{ range(1e308 - -1e308) }}",  # infinity is compiled into the name ``inf``
])
def test_a_body_jinja_fails_to_compile_or_to_run_is_refused_with_a_reason(body):
    with pytest.raises(InvalidInput) as refused:
        templates.check(URGE, with_body(body))

    assert refused.value.details[0]["message"].startswith("正文无法生成：")


def test_a_filter_jinja_does_not_know_is_named_as_a_syntax_error():
    # Found when the text compiles, which the check of its variables does: it came out as a 500.
    with pytest.raises(InvalidInput) as refused:
        templates.check(URGE, TemplateText(subject="{{ order_number|nofilter }}", body=URGE.default.body,
                                           sms=URGE.default.sms))

    assert [d["field"] for d in refused.value.details] == ["subject"]
    assert refused.value.details[0]["message"].startswith("标题第 1 行语法错误：No filter named 'nofilter'")


def test_a_saved_text_that_fails_on_a_real_message_falls_back_to_the_packaged_text(caplog):
    # Previewed with the sample title (8 characters), it divides by zero on a title of 4.
    edited = with_body("{{ 100 // (order_title|length - 4) }}")
    assert templates.check(URGE, edited).body == "25"

    with caplog.at_level(logging.ERROR, logger="minhu.notify"):
        sent = templates.render(URGE, edited, {**CONTEXT, "order_title": "路灯不亮"})

    assert sent.body == templates.render(URGE, URGE.default, {**CONTEXT, "order_title": "路灯不亮"}).body
    assert "no longer renders" in caplog.text



@pytest.mark.parametrize(("body", "reason"), [
    ("{{ 'x'|center(10**10) }}", "传给过滤器或函数的数不能超过 1000"),
    ("{{ order_number.center(10**12) }}", "传给过滤器或函数的数不能超过 1000"),
    ("{{ 'x' * 10**10 }}", "超过 50000 个字符或项"),
    ("{{ '%999999999d' % 1 }}", "格式的宽度和精度须为不超过 1000 的数字"),
    ("{{ 2 ** 100000 }}", "数值超过 4096 位"),
    ("{{ ('x' * 40000)|replace('', 'y' * 40000) }}", "超过 50000 个字符"),
    ("{% set a = 'xxxxxxxxxx' %}" + "{% set a = a ~ a %}" * 40 + "{{ a }}", "超过 50000 个字符或项"),
    ("{% for i in 'x' * 40000 %}{% endfor %}", "循环不能超过 1000 次"),
    ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "循环不能嵌套"),
    ("{% macro m() %}{% for i in range(1000) %}{% endfor %}{% endmacro %}{{ m() }}", "不能使用宏"),
])
def test_a_text_asking_for_too_much_is_refused_before_it_is_built(body, reason):
    # Each of these stalled the preview, or ate the machine's memory, before it answered.
    with pytest.raises(InvalidInput) as refused:
        templates.check(URGE, with_body(body))

    assert reason in refused.value.details[0]["message"]


def test_the_bounds_leave_room_for_the_longest_text_an_order_holds():
    sent = templates.render(URGE, with_body("{{ order_title }}"), {**CONTEXT, "order_title": "长" * 20_000})

    assert sent.body == "长" * 20_000


def test_a_saved_text_the_sandbox_now_refuses_falls_back_to_the_packaged_text(caplog):
    edited = with_body("{% macro m() %}催办{% endmacro %}{{ m() }}")

    with caplog.at_level(logging.ERROR, logger="minhu.notify"):
        sent = templates.render(URGE, edited, CONTEXT)

    assert sent == templates.render(URGE, URGE.default, CONTEXT)
