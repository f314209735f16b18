"""A small SVG canvas for the sheet's drawings: boxes, wrapped text, lines and arrows.

Drawings are computed in Python and written as self-contained SVG (presentation attributes, no
stylesheet, no script), so the same markup works inline in a page and as a ``.svg`` file.
Text width is estimated from average glyph widths; boxes are sized with some slack for that.
"""

from __future__ import annotations

import textwrap
from html import escape

SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
MONO = "ui-monospace, 'SF Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace"
INK = "#1f2937"
MUTED = "#6b7280"
CHANNEL_COLOURS = {
    "email": "#2563eb",
    "sms": "#059669",
    "call": "#d97706",
    "postal": "#92400e",
    "push": "#7c3aed",
}


def glyph_width(size: float, mono: bool = False) -> float:
    """Average width of a character at a font size, a little generous to avoid overflow."""
    return size * (0.62 if mono else 0.56)


def wrap(text: str, width: float, size: float = 13, mono: bool = False) -> list[str]:
    """Split text into lines that fit ``width`` pixels."""
    chars = max(8, int(width / glyph_width(size, mono)))
    return textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=False) or [""]


def fit(text: str, width: float, size: float = 13, mono: bool = False) -> str:
    """Shorten text with an ellipsis so that it fits ``width`` pixels on one line."""
    chars = max(4, int(width / glyph_width(size, mono)))
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def num(value: float) -> str:
    """A coordinate written compactly."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


class Canvas:
    """Collects SVG elements; :meth:`render` wraps them with the size known at the end."""

    def __init__(self, ident: str, title: str) -> None:
        self.ident = ident
        self.title = title
        self.parts: list[str] = []

    @property
    def arrow(self) -> str:
        """The id of this drawing's arrow-head marker."""
        return f"{self.ident}-arrow"

    def add(self, element: str) -> None:
        """Add raw SVG markup."""
        self.parts.append(element)

    def open(self, css: str, **data: str) -> None:
        """Open a group with a class and ``data-*`` attributes (closed by :meth:`close`)."""
        attrs = "".join(f' data-{k.replace("_", "-")}="{escape(v)}"' for k, v in data.items())
        self.parts.append(f'<g class="{escape(css)}"{attrs}>')

    def close(self) -> None:
        """Close the last opened group or link."""
        self.parts.append("</g>")

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: str = "#ffffff",
        stroke: str = INK,
        rx: float = 6,
        dashed: bool = False,
        width: float = 1.3,
        tooltip: str = "",
        opacity: float = 1.0,
    ) -> None:
        """A (rounded) rectangle."""
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        if opacity < 1:
            dash += f' opacity="{num(opacity)}"'
        tip = f"<title>{escape(tooltip)}</title>" if tooltip else ""
        close = f">{tip}</rect>" if tip else "/>"
        self.parts.append(
            f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" rx="{num(rx)}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{num(width)}"{dash}{close}'
        )

    def polygon(
        self, points: list[tuple[float, float]], *, fill: str, stroke: str, tooltip: str = ""
    ) -> None:
        """A closed polygon (decision shapes, markers)."""
        coords = " ".join(f"{num(x)},{num(y)}" for x, y in points)
        tip = f"<title>{escape(tooltip)}</title>" if tooltip else ""
        self.parts.append(
            f'<polygon points="{coords}" fill="{fill}" stroke="{stroke}" stroke-width="1.3">'
            f"{tip}</polygon>"
        )

    def line(
        self,
        points: list[tuple[float, float]],
        *,
        stroke: str = MUTED,
        dashed: bool = False,
        arrow: bool = False,
        width: float = 1.4,
    ) -> None:
        """A polyline, optionally dashed and ending with an arrow head."""
        coords = " ".join(f"{num(x)},{num(y)}" for x, y in points)
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        head = f' marker-end="url(#{self.arrow})"' if arrow else ""
        self.parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{stroke}" '
            f'stroke-width="{num(width)}"{dash}{head}/>'
        )

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 13,
        fill: str = INK,
        weight: str = "normal",
        anchor: str = "start",
        mono: bool = False,
        spacing: float = 0,
    ) -> None:
        """One line of text with its baseline at ``y``."""
        family = MONO if mono else SANS
        extra = f' letter-spacing="{num(spacing)}"' if spacing else ""
        bold = f' font-weight="{weight}"' if weight != "normal" else ""
        self.parts.append(
            f'<text x="{num(x)}" y="{num(y)}" font-family="{escape(family)}" '
            f'font-size="{num(size)}" fill="{fill}" text-anchor="{anchor}"{bold}{extra}>'
            f"{escape(text)}</text>"
        )

    def link(self, href: str) -> None:
        """Open a link around the next elements (closed by :meth:`close`)."""
        self.parts.append(f'<a href="{escape(href)}">')

    def end_link(self) -> None:
        """Close a link opened by :meth:`link`."""
        self.parts.append("</a>")

    def render(self, width: float, height: float, *, css: str = "diagram") -> str:
        """The finished SVG element, scalable to its container's width."""
        defs = (
            f'<defs><marker id="{self.arrow}" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{MUTED}"/></marker></defs>'
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css)}" id="{self.ident}" '
            f'viewBox="0 0 {num(width)} {num(height)}" width="{num(width)}" '
            f'height="{num(height)}" role="img" aria-labelledby="{self.ident}-title">'
            f'<title id="{self.ident}-title">{escape(self.title)}</title>{defs}'
            + "".join(self.parts)
            + "</svg>"
        )
