"""Notification templates: the packaged defaults, the sandbox that renders them, the checks on saving.

Templates are rendered by a sandboxed Jinja environment (an administrator's text must not reach
Python objects) with ``StrictUndefined``: a variable nobody supplies is an error, never an empty
string in a message sent to a leader. Each template declares the variables its callers supply;
saving a template that uses any other is refused, so the error surfaces on the admin page and never
in the sweep that enqueues it.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta

from minhu.core import clock
from minhu.core.errors import DomainError, InvalidInput, NotFound
from minhu.notify import sandbox

log = logging.getLogger("minhu.notify")

DEFAULTS_FILE = Path(__file__).parent / "data" / "templates.toml"
PARTS = ("subject", "body", "sms")
PART_LABELS = {"subject": "标题", "body": "正文", "sms": "短信"}
# Supplied by enqueue for every message, whatever the template.
COMMON_VARIABLES: dict[str, str] = {"recipient_name": "收件人姓名", "site_url": "系统网址"}
MAX_SMS_LENGTH = 300

_site_url = "http://127.0.0.1:8000"
# What an administrator's text can raise while it renders: a Jinja fault (an unknown name, a filter given the
# wrong arguments, the sandbox's refusal), arithmetic gone wrong (1/0, an overflow), a value of the wrong kind,
# a filter checking its arguments by assert (truncate(0)), a constant Jinja compiles into a name that does not
# exist (1e999 and 1e308 - -1e308 become ``inf``).
RENDER_ERRORS = (TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError, AssertionError,
                 NameError)


def configure(*, site_url: str) -> None:
    """Set the address links in messages point to (``MINHU_BASE_URL``)."""
    global _site_url
    _site_url = site_url.rstrip("/")


def site_url() -> str:
    return _site_url


class UnknownTemplate(NotFound):
    code = "unknown_template"


class TemplateContextIncomplete(DomainError):
    """A caller enqueued a message without a variable its template declares: a defect of the caller."""

    status = 500
    code = "template_context_incomplete"


@dataclass(frozen=True)
class TemplateText:
    subject: str
    body: str
    sms: str


@dataclass(frozen=True)
class TemplateSpec:
    """A packaged template: its key, label, the variables callers supply (with samples) and default text."""

    key: str
    label: str
    variables: Mapping[str, str]
    sample: Mapping[str, Any]
    default: TemplateText

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset(self.variables) | frozenset(COMMON_VARIABLES)

    def sample_context(self) -> dict[str, Any]:
        return {"recipient_name": "张三", "site_url": _site_url, **self.sample}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    sms: str


def _city_time(value: datetime | str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=clock.city_tz())).astimezone(
            clock.city_tz()).strftime(fmt)
    return str(value)


@cache
def environment() -> sandbox.BoundedSandbox:
    env = sandbox.BoundedSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.add_filter("city_time", _city_time)
    return env


@cache
def specs() -> dict[str, TemplateSpec]:
    """The packaged templates by key, read once from ``data/templates.toml``."""
    raw = tomllib.loads(DEFAULTS_FILE.read_text("utf-8"))
    return {
        key: TemplateSpec(key=key, label=str(entry["label"]), variables=dict(entry.get("variables", {})),
                          sample=dict(entry.get("sample", {})),
                          default=TemplateText(subject=entry["subject"], body=entry["body"], sms=entry["sms"]))
        for key, entry in raw.items()
    }


def spec(key: str) -> TemplateSpec:
    """The packaged template ``key``. Raises UnknownTemplate."""
    found = specs().get(key)
    if found is None:
        raise UnknownTemplate(f"没有名为 {key} 的通知模板", details={"template": key})
    return found


def check(template_spec: TemplateSpec, text: TemplateText) -> Rendered:
    """Check a template's text as an administrator wrote it, and render it with the sample values.

    Raises InvalidInput (``template_invalid``), one detail per faulty part: a syntax error with its
    line, a variable the template may not use (naming the ones it may), a failure while rendering.
    """
    env = environment()
    problems: list[dict[str, str]] = []
    rendered: dict[str, str] = {}
    allowed = sorted(template_spec.allowed)
    for part in PARTS:
        source = getattr(text, part)
        label = PART_LABELS[part]
        if not source.strip():
            problems.append({"field": part, "message": f"{label}不能为空"})
            continue
        try:
            parsed = env.parse(source)
            # Finding the variables compiles the text, which is when an unknown filter or test is found.
            undeclared = meta.find_undeclared_variables(parsed)
        except TemplateSyntaxError as exc:
            problems.append({"field": part, "message": f"{label}第 {exc.lineno} 行语法错误：{exc.message}"})
            continue
        except RENDER_ERRORS as exc:  # compiling folds constant expressions, which runs parts of the text
            problems.append({"field": part, "message": f"{label}无法生成：{exc}"})
            continue
        structure = sandbox.structure_problem(parsed)
        if structure:
            problems.append({"field": part, "message": f"{label}{structure}"})
            continue
        unknown = sorted(undeclared - template_spec.allowed)
        if unknown:
            problems.append({"field": part, "message": f"{label}使用了未知变量 {'、'.join(unknown)}；"
                                                      f"可用变量：{'、'.join(allowed)}"})
            continue
        try:
            rendered[part] = sandbox.render(env.compile_checked(parsed), template_spec.sample_context())
        except RENDER_ERRORS as exc:
            problems.append({"field": part, "message": f"{label}无法生成：{exc}"})
    if "subject" in rendered and "\n" in rendered["subject"].strip():
        problems.append({"field": "subject", "message": "标题只能有一行"})
    if "sms" in rendered and len(rendered["sms"]) > MAX_SMS_LENGTH:
        problems.append({"field": "sms", "message": f"短信过长（{len(rendered['sms'])} 字，最多 {MAX_SMS_LENGTH} 字）"})
    if problems:
        raise InvalidInput(f"模板 {template_spec.key} 未保存：{problems[0]['message']}", details=problems,
                           code="template_invalid")
    return Rendered(subject=rendered["subject"].strip(), body=rendered["body"], sms=rendered["sms"].strip())


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """A template's source compiled once: compiling costs far more than rendering, and intake renders the
    same few texts for every order it dispatches. Keyed by the text, so an edited template compiles anew.
    Raises TemplateSyntaxError, or SecurityError for a text the sandbox refuses to run."""
    env = environment()
    parsed = env.parse(source)
    structure = sandbox.structure_problem(parsed)
    if structure:
        raise sandbox.TemplateTooLarge(structure)
    return env.compile_checked(parsed)


def _render_text(text: TemplateText, values: Mapping[str, Any]) -> Rendered:
    return Rendered(subject=sandbox.render(_compiled(text.subject), values).strip(),
                    body=sandbox.render(_compiled(text.body), values),
                    sms=sandbox.render(_compiled(text.sms), values).strip())


def render(template_spec: TemplateSpec, text: TemplateText, context: Mapping[str, Any]) -> Rendered:
    """Render a message for one recipient. ``context`` must hold every declared variable.

    An administrator's text that no longer renders (saved before a variable was withdrawn from its
    template) falls back to the packaged text, with an error in the log: a broken template must not
    stop the sweep that enqueues. Raises TemplateContextIncomplete when ``context`` lacks a variable,
    or the packaged text itself cannot be rendered from it.
    """
    missing = sorted(set(template_spec.variables) - set(context))
    if missing:
        raise TemplateContextIncomplete(f"通知模板 {template_spec.key} 缺少变量 {'、'.join(missing)}",
                                        details={"template": template_spec.key, "missing": missing})
    values = {"site_url": _site_url, **context}
    try:
        return _render_text(text, values)
    except RENDER_ERRORS as exc:
        if text == template_spec.default:
            raise TemplateContextIncomplete(f"通知模板 {template_spec.key} 无法生成：{exc}",
                                            details={"template": template_spec.key}) from exc
        log.error("notification template %s as edited no longer renders (%s); the packaged text is used",
                  template_spec.key, exc)
    try:
        return _render_text(template_spec.default, values)
    except RENDER_ERRORS as exc:
        raise TemplateContextIncomplete(f"通知模板 {template_spec.key} 无法生成：{exc}",
                                        details={"template": template_spec.key}) from exc
