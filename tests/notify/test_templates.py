"""Notification templates as an administrator writes them: whatever the text, saving it gives a preview or the
reasons it is refused, and sending falls back to the packaged text when an edited one fails."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minhu.core.errors import InvalidInput
from minhu.notify import sandbox, templates
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


# --- whatever an administrator writes -----------------------------------------------------------
# Texts from a small Jinja grammar: names the template may and may not use, kept and dropped filters, methods
# (mutating and private ones too), every operator, numbers up to 10**12 and infinities, conditions, loops (nested
# too), {% set %}, macros and broken tags around arbitrary text; a few hundred characters at most.

NAMES = ("order_number", "order_title", "unit_name", "deadline", "recipient_name", "site_url", "nobody", "loop", "item")
FILTER_NAMES = (*sorted(sandbox.FILTERS), "city_time", "indent", "map", "tojson", "nofilter")
METHODS = ("upper", "center", "replace", "join", "format", "split", "ljust", "zfill", "expandtabs", "strftime",
           "count", "startswith", "items", "append", "__class__")
OPERATORS = ("+", "-", "*", "/", "//", "%", "**", "~", "and", "or", "==", "<", "in", "is")

numbers = st.one_of(st.integers(-3, 3), st.integers(-10**12, 10**12), st.sampled_from([1000, 1001, 4096, 10**10]),
                    st.floats())
atoms = st.one_of(st.sampled_from(NAMES), numbers.map(repr).map(lambda r: r.replace("inf", "1e999")),
                  st.text(max_size=6).map(repr), st.sampled_from(["none", "true", "[]", "{}", "'%9999d'", "'{:>5}'"]))


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    arguments = st.lists(inner, max_size=2).map(", ".join)
    return st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(FILTER_NAMES), arguments).map(lambda t: f"({t[0]})|{t[1]}({t[2]})"),
        st.tuples(inner, st.sampled_from(METHODS), arguments).map(lambda t: f"({t[0]}).{t[1]}({t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]})[{t[1]}]"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        inner.map(lambda e: f"range({e})"), inner.map(lambda e: f"[{e}, {e}]"), inner.map(lambda e: f"-({e})"),
    )


expressions = st.recursive(atoms, _extend, max_leaves=6)


def _blocks(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(expressions, inner, inner).map(lambda t: f"{{% if {t[0]} %}}{t[1]}{{% else %}}{t[2]}{{% endif %}}"),
        st.tuples(expressions, inner).map(lambda t: f"{{% for item in {t[0]} %}}{t[1]}{{% endfor %}}"),
        st.lists(inner, max_size=3).map("".join),
    )


statements = st.recursive(
    st.one_of(st.text(max_size=8), expressions.map(lambda e: f"{{{{ {e} }}}}"),
              expressions.map(lambda e: f"{{% set item = {e} %}}"),
              st.sampled_from(["{{", "}}", "{%", "%}", "{% endfor %}", "{# x", "{% set a %}x{% endset %}",
                               "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}"])),
    _blocks, max_leaves=5)
values = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(), st.booleans(),
                   st.datetimes(timezones=st.just(UTC)), st.lists(st.text(max_size=5), max_size=3))


def checked(text: TemplateText) -> templates.Rendered | InvalidInput:
    try:
        return templates.check(URGE, text)
    except InvalidInput as refused:
        return refused


@given(subject=statements, body=statements, sms=statements)
@settings(max_examples=200, deadline=timedelta(seconds=2))
def test_saving_any_text_gives_a_preview_or_the_reasons_it_is_refused(subject, body, sms):
    outcome = checked(TemplateText(subject=subject, body=body, sms=sms))
    if isinstance(outcome, InvalidInput):
        assert outcome.code == "template_invalid"
        assert all(d["message"] for d in outcome.details)
    else:
        assert len(outcome.body) <= sandbox.MAX_TEXT


@given(body=statements, context=st.fixed_dictionaries(dict.fromkeys(URGE.variables, values)))
@settings(max_examples=150, deadline=timedelta(seconds=2))
def test_sending_never_fails_on_a_saved_text_whatever_the_values(body, context):
    # A text that fails on these values is replaced by the packaged one: the sweep that enqueues goes on.
    sent = templates.render(URGE, with_body(body), {**context, "recipient_name": "张三"})
    assert isinstance(sent.body, str)
