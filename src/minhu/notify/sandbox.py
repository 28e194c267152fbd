"""The Jinja sandbox notification templates render in: it keeps an administrator's text from Python objects
(Jinja's sandbox) and from the server's time and memory (what is added here).

Jinja's sandbox alone lets ``{% for i in range(100000) %}{% for j in range(100000) %}`` run for hours and
``{{ 'x' * 10**9 }}`` build a gigabyte. A notification is a few lines of text filled with a few values, so
the language offered is narrowed to what such a text needs, and every step is bounded:

- ``range()`` gives at most ``MAX_RANGE`` numbers; a part's loops take ``MAX_LOOP_STEPS`` steps in all;
- text (or a number's digits) built by ``*``, ``+``, ``~``, ``%``, ``**``, ``replace`` or a method call
  stays under ``MAX_TEXT`` characters, and so does a part's output, counted as it is produced;
- a part renders within ``DEADLINE_SECONDS``, checked at every loop step and every piece of output;
- no tag that repeats or buffers output out of sight (macro, call, block, filter and set blocks, include,
  import, extends, recursive loops), no list or dict but of constants, no list arithmetic, no padding or
  formatting method of a text (``center``, ``format``…), and only the filters in ``FILTERS``.

Each refusal is a SecurityError (or, at parse time, a TemplateSyntaxError) with a zh-CN message that the
template page shows against the part at fault.
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_RANGE = 1_000
MAX_LOOP_STEPS = 10_000
MAX_TEXT = 50_000
MAX_INT_BITS = 4_096
DEADLINE_SECONDS = 1.0

# Filters that give back no more than they are given (``replace`` is bounded below).
# Not ``escape`` (a notification is plain text, and escaping what was escaped grows it fivefold each time),
# nor ``striptags`` (quadratic in the number of tags).
FILTERS = ("abs", "capitalize", "count", "d", "default", "first", "float", "int", "last", "length", "lower",
           "round", "string", "title", "trim", "truncate", "upper", "wordcount")
# Methods of a text that pad, repeat or format it to a size its arguments choose.
_PADDING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join", "format",
                      "format_map"})
_UNSUPPORTED: dict[type[nodes.Node], str] = {
    nodes.Macro: "macro", nodes.CallBlock: "call", nodes.Block: "block", nodes.FilterBlock: "filter",
    nodes.AssignBlock: "set…endset", nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "from…import",
    nodes.Extends: "extends"}
_FORMAT_SIZE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class TemplateTooCostly(SecurityError):
    """A template asked for more than a notification may take (time, loop steps, text)."""


@dataclass
class _Budget:
    steps: int
    deadline: float

    def step(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise TemplateTooCostly(f"循环次数超过 {MAX_LOOP_STEPS} 次")
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateTooCostly(f"生成用时超过 {DEADLINE_SECONDS:g} 秒")


_budget: ContextVar[_Budget | None] = ContextVar("notify_template_budget", default=None)


def _current_budget() -> _Budget:
    budget = _budget.get()
    if budget is None:  # pragma: no cover - every render goes through render_bounded
        raise RuntimeError("a notification template rendered outside render_bounded")
    return budget


def _bounded_text(size: int) -> None:
    if size > MAX_TEXT:
        raise TemplateTooCostly(f"生成的文本过长（超过 {MAX_TEXT} 字）")


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    try:
        fits = len(numbers) <= MAX_RANGE
    except OverflowError:  # more numbers than an index can count
        fits = False
    if not fits:
        raise TemplateTooCostly(f"range() 最多给出 {MAX_RANGE} 个数")
    return numbers


def _bounded_replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    _bounded_text(len(text) + found * (len(new) - len(old)))
    return text.replace(old, new, -1 if count is None else count)


def _sized(value: Any) -> bool:
    return isinstance(value, str | bytes | bytearray)


def _check_binop(op: str, left: Any, right: Any) -> None:
    if isinstance(left, list | tuple) or isinstance(right, list | tuple):
        if op in ("+", "*"):
            raise TemplateTooCostly("通知模板中不能拼接或重复列表")
        return
    if op == "*":
        for text, times in ((left, right), (right, left)):
            if _sized(text) and isinstance(times, int):
                _bounded_text(len(text) * max(times, 0))
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateTooCostly("数字过大")
    elif op == "+" and _sized(left) and _sized(right):
        _bounded_text(len(left) + len(right))
    elif op == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 \
            and abs(left).bit_length() * right > MAX_INT_BITS:
        raise TemplateTooCostly("数字过大")
    elif op == "%" and _sized(left):
        pattern = left if isinstance(left, str) else bytes(left).decode("latin-1")
        for width, precision in _FORMAT_SIZE.findall(pattern):
            if "*" in (width, precision) or int(width or 0) > MAX_TEXT or int(precision or 0) > MAX_TEXT:
                raise TemplateTooCostly(f"格式宽度过大（最多 {MAX_TEXT}）")


class _Narrowed(NodeTransformer):
    """Refuses what a notification has no use for, and routes loops and ``~`` through the budget."""

    def __init__(self, name: str | None, filename: str | None) -> None:
        self.name, self.filename = name, filename

    def refuse(self, node: nodes.Node, message: str) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, node.lineno, self.name, self.filename)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        tag = _UNSUPPORTED.get(type(node))
        if tag is not None:
            raise self.refuse(node, f"通知模板不支持 {{% {tag} %}}")
        if isinstance(node, nodes.For):
            return self._loop(node)
        if isinstance(node, nodes.Concat):
            self.generic_visit(node)
            return nodes.Call(nodes.EnvironmentAttribute("joined"), list(node.nodes), [], None, None,
                              lineno=node.lineno)
        if isinstance(node, nodes.List | nodes.Dict) or (isinstance(node, nodes.Tuple) and node.ctx != "store"):
            try:
                node.as_const()
            except nodes.Impossible:
                raise self.refuse(node, "通知模板中的列表、字典只能由常量组成") from None
            return node
        return self.generic_visit(node)

    def _loop(self, node: nodes.For) -> nodes.For:
        if node.recursive:
            raise self.refuse(node, "通知模板不支持递归循环（recursive）")
        self.generic_visit(node)
        node.iter = nodes.Call(nodes.EnvironmentAttribute("counted"), [node.iter], [], None, None,
                               lineno=node.lineno)
        return node


class NotificationSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox (no ``list.append`` across loop steps), narrowed and bounded as above."""

    intercepted_binops = frozenset({"*", "+", "%", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, **options)
        self.globals.clear()
        self.globals["range"] = _bounded_range
        self.filters = {name: JINJA_FILTERS[name] for name in FILTERS}
        self.filters["replace"] = _bounded_replace

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Jinja's one parsing step, behind parse() and compile() alike.
        tree = super()._parse(source, name, filename)
        for node in tree.find_all((nodes.Filter, nodes.Test)):
            known = self.filters if isinstance(node, nodes.Filter) else self.tests
            if node.name not in known:
                kind = "过滤器" if isinstance(node, nodes.Filter) else "检验"
                raise TemplateSyntaxError(f"通知模板不能使用{kind} {node.name}（可用：{'、'.join(sorted(known))}）",
                                          node.lineno, name, filename)
        narrowed: nodes.Template = _Narrowed(name, filename).visit(tree)
        return narrowed

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if (_sized(obj) and attr in _PADDING) or (isinstance(obj, int) and attr == "to_bytes"):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        # Jinja's own naming: the double underscores keep a template's keyword arguments from meeting these.
        result = super().call(__context, __obj, *args, **kwargs)
        if _sized(result) or isinstance(result, list | tuple):
            _bounded_text(len(result))
        return result

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        return self.undefined(f"通知模板不能使用 {type(obj).__name__} 的 {attribute}", name=attribute, obj=obj,
                              exc=SecurityError)

    def wrap_str_format(self, value: Any) -> None:
        # str.format is refused outright (is_safe_attribute), not sandboxed: its widths are unbounded.
        return None

    @staticmethod
    def counted(iterable: Iterable[Any]) -> Iterator[Any]:
        budget = _current_budget()
        for item in iterable:
            budget.step()
            yield item

    @staticmethod
    def joined(*parts: Any) -> str:
        texts = [str(part) for part in parts]
        _bounded_text(sum(map(len, texts)))
        return "".join(texts)


def render_bounded(template: Template, values: Mapping[str, Any]) -> str:
    """``template`` rendered with ``values`` within the budget. Raises TemplateTooCostly, or what rendering
    raises."""
    token = _budget.set(_Budget(steps=MAX_LOOP_STEPS, deadline=time.monotonic() + DEADLINE_SECONDS))
    stream = cast(Generator[str, None, None], template.generate(values))
    try:
        pieces: list[str] = []
        size = 0
        for piece in stream:
            size += len(piece)
            _bounded_text(size)
            _current_budget().check_time()
            pieces.append(piece)
        return "".join(pieces)
    finally:
        stream.close()
        _budget.reset(token)

