"""The sandbox notification templates render in: what an administrator types can neither run for long nor build
large texts; each refusal says why in Chinese, in bounded time; what a notification needs still works."""

from __future__ import annotations

import time

import pytest

from minhu.core.errors import InvalidInput
from minhu.notify import templates
from minhu.notify.sandbox import DEADLINE_SECONDS
from minhu.notify.templates import TemplateText

SPEC = templates.spec("order.red")
FORTY_THOUSAND = "{% set s = 'x' * 40000 %}"


def problems_of(body: str) -> list[dict[str, str]]:
    try:
        templates.check(SPEC, TemplateText(subject="【超期提醒】{{ order_number }}", body=body, sms="超期"))
    except InvalidInput as exc:
        return exc.details if isinstance(exc.details, list) else [exc.details]
    return []


@pytest.mark.parametrize(("body", "said"), [
    ("{% for i in range(10**9) %}x{% endfor %}", "range() 最多给出 1000 个数"),
    ("{{ range(10**30)|length }}", "range() 最多给出 1000 个数"),
    ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "循环次数超过 10000 次"),
    ("{% for c in order_title * 2000 %}{% endfor %}", "循环次数超过 10000 次"),
    ("{% for i in range(1000) %}{{ order_title * 10 }}{% endfor %}", "生成的文本过长（超过 50000 字）"),
    ("{{ 'x' * 10**9 }}", "生成的文本过长（超过 50000 字）"),
    (FORTY_THOUSAND + "{{ s ~ s }}", "生成的文本过长（超过 50000 字）"),
    (FORTY_THOUSAND + "{{ s + s }}", "生成的文本过长（超过 50000 字）"),
    (FORTY_THOUSAND + "{{ s|replace('x', 'xx') }}", "生成的文本过长（超过 50000 字）"),
    (FORTY_THOUSAND + "{{ s.encode().hex() }}", "生成的文本过长（超过 50000 字）"),
    ("{{ 2 ** 100000 }}", "数字过大"),
    ("{{ 10.0 ** 1000 }}", "数字过大"),
    ("{{ '%0999999999d' % 1 }}", "格式宽度过大"),
    ("{{ 'x'.center(10**9) }}", "通知模板不能使用 str 的 center"),
    ("{{ '{:>999999999}'.format(1) }}", "通知模板不能使用 str 的 format"),
    ("{{ (1).to_bytes(10**9, 'big') }}", "通知模板不能使用 int 的 to_bytes"),
    ("{{ order_title|center(10**9) }}", "通知模板不能使用过滤器 center"),
    ("{{ lipsum(10**6) }}", "使用了未知变量 lipsum"),
    ("{% macro f() %}{{ f() }}{{ f() }}{% endmacro %}{{ f() }}", "通知模板不支持 {% macro %}"),
    ("{% filter upper %}{% for i in range(1000) %}x{% endfor %}{% endfilter %}", "通知模板不支持 {% filter %}"),
    ("{% for i in range(3) recursive %}{{ loop([]) }}{% endfor %}", "通知模板不支持递归循环"),
    ("{{ [order_title, order_title] }}", "列表、字典只能由常量组成"),
    ("{{ 1 / 0 }}", "除数为零"),
    ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "嵌套过深"),
    ("{{ " + "9" * 5000 + " }}", "数字过大"),
])
def test_a_costly_template_is_refused_in_chinese_in_bounded_time(body, said):
    started = time.monotonic()
    problems = problems_of(body)
    assert time.monotonic() - started < 3 * DEADLINE_SECONDS + 2
    assert [p["field"] for p in problems] == ["body"]
    assert said in problems[0]["message"], problems[0]["message"]


def test_work_that_never_ends_is_stopped_at_the_deadline():
    body = "{% set s = 'ab' * 20000 %}{% for i in range(1000) %}{% for j in range(9) %}" \
           "{% set t = s.split('a') %}{% set u = s.upper() %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    (problem,) = problems_of(body)
    assert time.monotonic() - started < DEADLINE_SECONDS + 2
    assert problem["message"] == f"正文无法生成：生成用时超过 {DEADLINE_SECONDS:g} 秒"


def test_what_a_notification_needs_still_renders():
    body = ("{{ recipient_name }}：{% if unit_name in ('积玉桥街', '水果湖街') %}街道{% endif %}"
            "{% for i in range(3) %}{{ loop.index }}.{% endfor %}{{ order_title|truncate(6, true, '…', 0) }}"
            "{{ order_number ~ '号' }} {{ deadline|city_time('%m月%d日') }} {{ unit_name|replace('街', '街道') }}\n")
    assert problems_of(body) == []
    rendered = templates.check(SPEC, TemplateText(subject="s", body=body, sms="x"))
    assert rendered.body == "张三：街道1.2.3.夜间施工噪…WC20261123000012号 11月26日 积玉桥街道\n"


def test_a_saved_text_too_costly_for_the_values_it_meets_falls_back_to_the_packaged_one():
    edited = TemplateText(subject="{{ order_number }}", body="{{ order_title * 1000 }}", sms="{{ order_number }}")
    assert templates.check(SPEC, edited).body, "short sample values: it passes the check"
    context = {**SPEC.sample, "recipient_name": "李四", "order_title": "灯" * 200}
    rendered = templates.render(SPEC, edited, context)
    assert rendered.body == templates.render(SPEC, SPEC.default, context).body
