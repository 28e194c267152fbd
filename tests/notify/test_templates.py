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
