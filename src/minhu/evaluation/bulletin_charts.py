"""The bulletin's two charts as inline SVG, drawn from its figures: the district's rates over twelve periods (a
line chart) and the streets' scores (a bar chart).

The PDF cannot run JavaScript, so these are its charts; the page shows them too until ECharts replaces them, and
prints them (a vector drawing prints sharper than a canvas). Text uses the CJK font the stylesheets name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from minhu.evaluation.bulletin import Document

COLORS = ("#5470c6", "#91cc75", "#ee6666", "#fac858", "#73c0de")
BOTTOM_COLOR = "#ee6666"
FONT = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif"


def _axis_floor(values: Sequence[float]) -> float:
    """The lowest value the axis shows: a multiple of 10 below the data, so small movements stay visible."""
    return max(0.0, math.floor((min(values) - 5) / 10) * 10) if values else 0.0


def short_label(key: str, label: str, *, first: bool = False) -> str:
    """``11月`` for a month (``2026年1月`` for a January, where the year turns, and for the first point, which
    says which year the axis starts in), the full label otherwise."""
    if len(key) == 7 and key[4] == "-":
        year, month = key[:4], int(key[5:])
        return f"{year}年{month}月" if month == 1 or first else f"{month}月"
    return label


def trend_svg(document: Document, *, width: int = 680, height: int = 280) -> Markup:
    """The district's rates over the trend periods, one line per rate, gaps where a rate had nothing counted."""
    rates = document["policy"]["rates"]
    trend = document["trend"]
    left, right, top, bottom = 48, 16, 36, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [p["rates"][r["key"]] for p in trend for r in rates if p["rates"][r["key"]] is not None]
    low = _axis_floor(values)
    step = plot_w / max(len(trend) - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: float) -> float:
        return top + plot_h * (100 - v) / (100 - low)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="全区三率走势" '
             f'font-family="{FONT}" font-size="11">']
    ticks = 5
    for t in range(ticks + 1):
        v = low + (100 - low) * t / ticks
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#666">{v:g}%</text>')
    for i, point in enumerate(trend):
        parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="#666">'
                     f'{escape(short_label(point["key"], point["label"], first=i == 0))}</text>')
    for n, rate in enumerate(rates):
        color = COLORS[n % len(COLORS)]
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        for i, point in enumerate(trend):
            value = point["rates"][rate["key"]]
            if value is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{x(i):.1f},{y(value):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5" fill="{color}"/>')
        for line in segments:
            if len(line) > 1:
                parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{color}" stroke-width="2"/>')
        legend_x = left + n * 130
        parts.append(f'<rect x="{legend_x}" y="10" width="14" height="4" fill="{color}"/>'
                     f'<text x="{legend_x + 20}" y="16" fill="#333">{escape(rate["label"])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def scores_svg(ranking: Document, *, width: int = 680) -> Markup:
    """One horizontal bar per unit of a ranking, best first, on a 0–100 axis; the end-ranked units in red."""
    rows = [row for row in ranking["rows"] if row["figures"]["score"] is not None]
    left, right, top, bar, gap = 120, 56, 12, 16, 8
    height = top + len(rows) * (bar + gap) + 24
    plot_w = width - left - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{escape(ranking["label"])}综合得分" '
             f'font-family="{FONT}" font-size="11">']
    for tick in range(0, 101, 20):
        tx = left + plot_w * tick / 100
        parts.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 4}" y2="{height - 20}" stroke="#e5e5e5"/>'
                     f'<text x="{tx:.1f}" y="{height - 6}" text-anchor="middle" fill="#666">{tick}</text>')
    for i, row in enumerate(rows):
        score = row["figures"]["score"]
        ty = top + i * (bar + gap)
        color = BOTTOM_COLOR if row["bottom"] else COLORS[0]
        parts.append(f'<text x="{left - 6}" y="{ty + bar - 4}" text-anchor="end" fill="#333">'
                     f'{escape(row["unit"]["name"])}</text>'
                     f'<rect x="{left}" y="{ty}" width="{plot_w * score / 100:.1f}" height="{bar}" fill="{color}"/>'
                     f'<text x="{left + plot_w * score / 100 + 4:.1f}" y="{ty + bar - 4}" fill="#333">'
                     f'{score:.2f}</text>')
    if not rows:
        parts.append(f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="#999">本期无得分</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def echarts_data(document: Document) -> dict[str, object]:
    """What the page's ECharts drawings need, read off the same document as the SVG ones."""
    rates = document["policy"]["rates"]
    trend = document["trend"]
    values = [p["rates"][r["key"]] for p in trend for r in rates if p["rates"][r["key"]] is not None]
    streets: Document = next((t for t in document["rankings"] if t["kind"] == "street"), {"rows": []})
    scored = [row for row in streets["rows"] if row["figures"]["score"] is not None]
    return {
        "colors": list(COLORS),
        "trend": {"labels": [short_label(p["key"], p["label"], first=i == 0) for i, p in enumerate(trend)],
                  "min": _axis_floor(values),
                  "series": [{"name": r["label"], "data": [p["rates"][r["key"]] for p in trend]} for r in rates]},
        "scores": {"names": [row["unit"]["name"] for row in scored],
                   "values": [row["figures"]["score"] for row in scored],
                   "bottom": [row["bottom"] for row in scored]},
    }


def street_scores_svg(document: Document) -> Markup:
    streets = next((t for t in document["rankings"] if t["kind"] == "street"), None)
    return scores_svg(streets) if streets is not None else Markup("")
