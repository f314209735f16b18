"""Bar charts as self-contained SVG (no script, no network) for the simulation report.

A chart is computed in Python: categories along the x axis, one or more stacked series, an
optional vertical line (a cap). Each bar carries a ``<title>`` so that hovering shows its value.
"""

from __future__ import annotations

from html import escape

from animato.sheet.svg import MUTED, SANS

PALETTE = (
    "#2563eb",
    "#059669",
    "#d97706",
    "#7c3aed",
    "#db2777",
    "#0891b2",
    "#65a30d",
    "#92400e",
    "#475569",
    "#dc2626",
)


def _nice(top: float) -> float:
    """A round axis maximum at or above ``top`` whose quarters are round too."""
    if top <= 0:
        return 4.0
    quarter = top / 4
    scale = 10 ** (len(str(int(quarter))) - 1) if quarter >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if quarter <= scale * factor:
            return float(scale * factor * 4)
    return float(scale * 40)


def stacked_bars(
    categories: list[str],
    series: dict[str, list[float]],
    *,
    title: str,
    line_at: int | None = None,
    grouped: bool = False,
    width: int = 860,
    height: int = 280,
) -> str:
    """An SVG bar chart of ``series`` stacked (or side by side, ``grouped``) over
    ``categories``, with a legend.

    ``line_at`` draws a vertical reference line before the category of that index (a cap on a
    histogram of counts).
    """
    left, right, top, bottom = 56, 12, 28, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    heights = [[s[i] for s in series.values()] or [0.0] for i in range(len(categories))]
    totals = [max(h) if grouped else sum(h) for h in heights]
    peak = _nice(max([*totals, 0.0]))
    n = max(1, len(categories))
    slot = plot_w / n
    bar = max(1.0, slot * 0.75)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" font-family="{SANS}" '
        'font-size="11">',
        f'<text x="{left}" y="16" font-size="13" font-weight="600">{escape(title)}</text>',
    ]
    for k in range(5):
        value = peak * k / 4
        y = top + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{_short(value)}</text>"
        )
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    every = max(1, n // 16)
    width_each = bar / len(series) if grouped and series else bar
    for i, category in enumerate(categories):
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h
        for k, (name, values) in enumerate(series.items()):
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / peak
            if grouped:
                x, y = left + slot * i + (slot - bar) / 2 + k * width_each, top + plot_h - h
            else:
                y -= h
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width_each:.1f}" '
                f'height="{h:.1f}" '
                f'fill="{colours[name]}"><title>{escape(category)} · {escape(name)}: '
                f"{_full(value)}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{left + slot * i + slot / 2:.1f}" y="{top + plot_h + 14}" '
                f'text-anchor="middle" fill="{MUTED}">{escape(category)}</text>'
            )
    if line_at is not None:
        x = left + slot * line_at
        parts.append(
            f'<line class="cap" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" '
            'stroke="#dc2626" stroke-dasharray="5 3" stroke-width="1.5"/>'
        )
    lx = float(left)
    for name, colour in colours.items():
        if len(series) == 1:
            break
        parts.append(
            f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{height - 5}">{escape(name)}</text>'
        )
        lx += 24 + 6.5 * len(name)
    parts.append("</svg>")
    return "".join(parts)


def _short(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f} M"
    if value >= 10_000:
        return f"{value / 1000:.0f} k"
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _full(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
