"""Server-rendered SVG bar charts, readable at a glance and at phone width.

Horizontal bars with the label above each bar (long Vietnamese names fit), the number
at the bar's end and an optional target mark. Every chart has a title, ``role="img"``
and an ``aria-label`` that reads out the numbers; the page shows the same numbers in a
table next to it.
"""

from __future__ import annotations

from html import escape

import msgspec

WIDTH = 400
ROW = 46
TOP = 8
BAR = 18
BAR_COLOUR = "#0b4f9c"  # 8.6:1 against white
TARGET_COLOUR = "#a50e0e"
TEXT_COLOUR = "#1d1d1f"


class Bar(msgspec.Struct, frozen=True):
    label: str
    value: int
    target: int | None = None


def _spoken(bars: list[Bar]) -> str:
    parts = []
    for bar in bars:
        text = f"{bar.label}: {bar.value}"
        if bar.target is not None:
            text += f" (chỉ tiêu {bar.target})"
        parts.append(text)
    return "; ".join(parts)


def bar_chart(title: str, bars: list[Bar], chart_id: str) -> str:
    """An SVG chart of ``bars``; empty data gives a chart saying so."""
    scale_max = max([1, *(b.value for b in bars), *(b.target or 0 for b in bars)])
    height = TOP + max(1, len(bars)) * ROW + 4
    label_id = f"{chart_id}-title"
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{label_id}" aria-label="{escape(title)}. {escape(_spoken(bars))}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">',
        f'<title id="{label_id}">{escape(title)}</title>',
    ]
    if not bars:
        parts.append(
            f'<text x="0" y="{TOP + 24}" font-size="14" fill="{TEXT_COLOUR}">Chưa có số liệu</text>'
        )
    usable = WIDTH - 48
    for index, bar in enumerate(bars):
        y = TOP + index * ROW
        length = round(usable * bar.value / scale_max)
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="14" fill="{TEXT_COLOUR}">'
            f"{escape(bar.label)}</text>"
        )
        parts.append(
            f'<rect x="0" y="{y + 20}" width="{max(length, 2)}" height="{BAR}" fill="{BAR_COLOUR}" '
            f'rx="2"/>'
        )
        parts.append(
            f'<text x="{max(length, 2) + 6}" y="{y + 34}" font-size="14" font-weight="600" '
            f'fill="{TEXT_COLOUR}">{bar.value}</text>'
        )
        if bar.target is not None:
            x = round(usable * bar.target / scale_max)
            parts.append(
                f'<line x1="{x}" x2="{x}" y1="{y + 16}" y2="{y + 42}" stroke="{TARGET_COLOUR}" '
                f'stroke-width="3"/>'
            )
    parts.append("</svg>")
    return "".join(parts)
