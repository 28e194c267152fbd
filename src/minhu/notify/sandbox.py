"""The sandbox administrators' notification templates run in.

Jinja's immutable sandbox keeps a template away from Python's internals and from changing the values it is
given. It does not keep a short text from asking for an enormous string or number, or for a loop in a loop,
and so from stalling the page that previews it or the sweep that renders it (``{{ 'x'|center(10**10) }}``).
A notification needs variables, filters, conditions and at most one loop; so, on top of the sandbox:

- no number above MAX_COUNT reaches a filter or a function (a width, a count, ``range``), and a loop runs
  at most MAX_COUNT times;
- no text or list grows past MAX_TEXT characters or items, whether built by ``*``, ``+``, ``~``, ``%``, a
  filter or a method, and the rendered text stops there too; no integer grows past MAX_BITS;
- no loop inside a loop, no recursive loop, no macro, call block, block or ``{% set %}`` block (each a way
  to run a loop inside another);
- only the filters a message has use for (FILTERS), and no ``lipsum``.

A template breaking a bound raises TemplateTooLarge, a SecurityError, which the checks report like any other
fault of the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any

from jinja2 import Template, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_COUNT = 1_000
MAX_TEXT = 50_000
MAX_BITS = 4_096

# Those whose result grows at most with their input and the bounded numbers they are given.
FILTERS = frozenset({
    "abs", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "filesizeformat",
    "first", "float", "format", "int", "items", "join", "last", "length", "list", "lower", "max", "min", "random",
    "replace", "reverse", "round", "slice", "sort", "string", "striptags", "title", "trim", "truncate", "unique",
    "upper", "wordcount",
})
# Filters only the sandbox writes into a template: ``~`` and loops pass through them.
_BOUNDED = "minhu.bounded"
_LOOP = "minhu.loop"
# The widths and precisions of printf-style (%5.2f) and str.format ({:>5}) conversions.
_PRINTF_SIZES = re.compile(r"%[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_FORMAT_SPECS = re.compile(r"\{[^{}:]*:([^{}]*)\}")


class TemplateTooLarge(SecurityError):
    pass


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _size(value: Any, limit: int = MAX_TEXT) -> int:
    """Characters and items in a value (stops counting past ``limit``)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple | set | frozenset | dict):
        total = len(value)
        for item in value.items() if isinstance(value, dict) else value:
            if total > limit:
                break
            total += _size(item, limit - total)
        return total
    return 0


def bounded(value: Any) -> Any:
    if _size(value) > MAX_TEXT:
        raise TemplateTooLarge(f"模板生成的文字或列表超过 {MAX_TEXT} 个字符或项")
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise TemplateTooLarge(f"模板生成的数值超过 {MAX_BITS} 位")
    return value


def _check_numbers(values: Iterable[Any]) -> None:
    for value in values:
        if _is_number(value) and not abs(value) <= MAX_COUNT:
            raise TemplateTooLarge(f"传给过滤器或函数的数不能超过 {MAX_COUNT}（而不是 {value}）")


def _check_format(text: str) -> None:
    sizes = [size for match in _PRINTF_SIZES.finditer(text) for size in match.groups() if size]
    sizes += [size for spec in _FORMAT_SPECS.findall(text) for size in re.findall(r"\d+", spec)]
    if any(size == "*" or int(size) > MAX_COUNT for size in sizes):
        raise TemplateTooLarge(f"格式的宽度和精度须为不超过 {MAX_COUNT} 的数字")


def _check_product(left: Any, right: Any) -> None:
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(times, int) and len(sequence) * times > MAX_TEXT:
            raise TemplateTooLarge(f"模板生成的文字或列表超过 {MAX_TEXT} 个字符或项")
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_BITS:
        raise TemplateTooLarge(f"模板生成的数值超过 {MAX_BITS} 位")


def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1 and (
            exponent > MAX_BITS or base.bit_length() * exponent > MAX_BITS):
        raise TemplateTooLarge(f"模板生成的数值超过 {MAX_BITS} 位")


def _check_sum(left: Any, right: Any) -> None:
    if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple) and (
            len(left) + len(right) > MAX_TEXT):
        raise TemplateTooLarge(f"模板生成的文字或列表超过 {MAX_TEXT} 个字符或项")


def _listed(items: Any) -> list[Any]:
    """An iterable's items, refused past MAX_TEXT of them."""
    listed = list(_take(items, MAX_TEXT + 1))
    if len(listed) > MAX_TEXT:
        raise TemplateTooLarge(f"模板生成的文字或列表超过 {MAX_TEXT} 个字符或项")
    return listed


def _check_join(separator: Any, items: list[Any]) -> None:
    total = len(str(separator)) * max(len(items) - 1, 0)
    for item in items:
        if total > MAX_TEXT:
            break
        total += len(str(item))
    if total > MAX_TEXT:
        raise TemplateTooLarge(f"模板生成的文字超过 {MAX_TEXT} 个字符")


def _check_replace(text: Any, old: Any, new: Any) -> None:
    text, old, new = str(text), str(old), str(new)
    if (text.count(old) if old else len(text) + 1) * len(new) > MAX_TEXT:
        raise TemplateTooLarge(f"模板生成的文字超过 {MAX_TEXT} 个字符")


def _loop(items: Any) -> Any:
    """A loop's sequence, refused when it would run more than MAX_COUNT times."""
    sized = items if hasattr(items, "__len__") else list(_take(items, MAX_COUNT + 1))
    if len(sized) > MAX_COUNT:
        raise TemplateTooLarge(f"循环不能超过 {MAX_COUNT} 次")
    return sized


def _take(items: Iterable[Any], count: int) -> Iterable[Any]:
    for number, item in enumerate(items):
        if number >= count:
            return
        yield item


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its arguments' numbers and its result bounded (after the context or environment some
    filters take, the first argument is the value the filter is applied to)."""
    value_at = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

    @wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        _check_numbers(args[value_at + 1:])
        _check_numbers(kwargs.values())
        given = args[value_at:]
        if name == "format" and given and isinstance(given[0], str):
            _check_format(given[0])
        elif name == "join" and given:
            items = _listed(given[0])
            _check_join(given[1] if len(given) > 1 else kwargs.get("d", ""), items)
            args = (*args[:value_at], items, *given[1:])
        elif name == "replace" and len(given) >= 3:
            _check_replace(*given[:3])
        return bounded(function(*args, **kwargs))

    return run


class _Bounds(NodeTransformer):
    """Passes every ``~`` and every loop's sequence through the sandbox's bounds."""

    # Jinja's visitor finds a method by the node class's name.
    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802
        self.generic_visit(node)
        return nodes.Filter(node, _BOUNDED, [], [], None, None, lineno=node.lineno)

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _LOOP, [], [], None, None, lineno=node.lineno)
        return node


def structure_problem(parsed: nodes.Template) -> str | None:
    """Why a parsed template is refused before it runs (see the module's docstring), or None."""
    refused = {nodes.Macro: "宏（macro）", nodes.CallBlock: "调用块（call）", nodes.Block: "块（block）",
               nodes.AssignBlock: "{% set %} 块"}
    for kind, label in refused.items():
        if any(True for _ in parsed.find_all(kind)):
            return f"不能使用{label}"
    for loop in parsed.find_all(nodes.For):
        if loop.recursive:
            return "不能使用递归循环"
        if any(True for _ in loop.find_all(nodes.For)):
            return "循环不能嵌套"
    return None


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the bounds above on operators, calls, filters and loops."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items() if name in FILTERS}
        self.filters[_BOUNDED] = bounded
        self.filters[_LOOP] = _loop

    def add_filter(self, name: str, function: Callable[..., Any]) -> None:
        self.filters[name] = _bounded_filter(name, function)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            _check_product(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "+":
            _check_sum(left, right)
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
        return bounded(super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_numbers(args)
        _check_numbers(kwargs.values())
        # The sandbox hands str.format over wrapped; the text it formats is the wrapped method's.
        unwrapped = getattr(obj, "__wrapped__", obj)
        owner, method = getattr(unwrapped, "__self__", None), getattr(unwrapped, "__name__", "")
        if isinstance(owner, str) and method in ("format", "format_map"):
            _check_format(owner)
        elif isinstance(owner, str) and method == "join" and args:
            args = (_listed(args[0]), *args[1:])
            _check_join(owner, args[0])
        elif isinstance(owner, str) and method == "replace" and len(args) >= 2:
            _check_replace(owner, args[0], args[1])
        elif isinstance(owner, str) and method == "expandtabs":
            _check_replace(owner, "\t", " " * int(args[0] if args else kwargs.get("tabsize", 8)))
        return bounded(super().call(context, obj, *args, **kwargs))

    def compile_checked(self, parsed: nodes.Template) -> Template:
        """The template of a parsed text that passed ``structure_problem``, with its bounds in place."""
        tree = _Bounds().visit(parsed)
        return self.from_string(tree)


def render(template: Template, values: Mapping[str, Any]) -> str:
    """The rendered text, refused once it passes MAX_TEXT characters."""
    parts: list[str] = []
    size = 0
    for part in template.generate(values):
        size += len(part)
        if size > MAX_TEXT:
            raise TemplateTooLarge(f"生成的消息超过 {MAX_TEXT} 个字符")
        parts.append(part)
    return "".join(parts)
