"""A page written once and rendered twice: as an HTML fragment and as Markdown.

Pages are built block by block (headings, paragraphs, fact lists, tables, figures); each block
appends its HTML and its Markdown together, so the two renderings always say the same thing.
Links name a page of the site without extension (``scenarios/bienvenue``) and become relative
``.html`` or ``.md`` links from the page that holds them.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import TypeAlias


@dataclass(frozen=True)
class Link:
    """A link to another page of the site, e.g. ``Link("Bienvenue", "scenarios/bienvenue")``."""

    text: str
    page: str


@dataclass(frozen=True)
class Code:
    """Text shown in a monospace font: conditions, ids, template names."""

    text: str


@dataclass(frozen=True)
class Strong:
    """Text in bold."""

    text: str


@dataclass(frozen=True)
class Styled:
    """A table cell or inline part with an HTML class (colour scales, badges); plain in Markdown."""

    content: Inline
    css: str


Inline: TypeAlias = "str | Link | Code | Strong | Styled | Sequence[Inline]"


def join(parts: Sequence[Inline], sep: str = ", ") -> list[Inline]:
    """Inline parts with a separator between them."""
    out: list[Inline] = []
    for i, part in enumerate(parts):
        out += [sep, part] if i else [part]
    return out


def md_escape(text: str) -> str:
    """Escape the few characters that would change the meaning of Markdown text."""
    out = text.replace("\\", "\\\\")
    for char in ("*", "_", "`", "[", "]", "<", "|"):
        out = out.replace(char, "\\" + char)
    return out


def slug(text: str) -> str:
    """An anchor id made of lowercase letters, digits and dashes."""
    kept = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in kept.split("-") if part) or "section"


class Document:
    """One page of the site: its path, its title, and its blocks in HTML and Markdown."""

    def __init__(self, page: str, title: str, kicker: str = "") -> None:
        self.page = page
        self.title = title
        self.kicker = kicker
        self.assets: dict[str, str] = {}
        self._html: list[str] = []
        self._md: list[str] = []

    # -- links --------------------------------------------------------------------------

    def href(self, page: str, ext: str) -> str:
        """Relative address of another page (``page#anchor`` allowed) from this one."""
        target, _, anchor = page.partition("#")
        here = posixpath.dirname(self.page) or "."
        same = not target or (target == self.page and anchor)
        path = "" if same else posixpath.relpath(target, here) + ext
        return f"{path}#{anchor}" if anchor else path

    def inline_html(self, part: Inline) -> str:
        """HTML of inline content."""
        if isinstance(part, str):
            return escape(part)
        if isinstance(part, Link):
            return f'<a href="{escape(self.href(part.page, ".html"))}">{escape(part.text)}</a>'
        if isinstance(part, Code):
            return f"<code>{escape(part.text)}</code>"
        if isinstance(part, Strong):
            return f"<strong>{escape(part.text)}</strong>"
        if isinstance(part, Styled):
            return f'<span class="{escape(part.css)}">{self.inline_html(part.content)}</span>'
        return "".join(self.inline_html(p) for p in part)

    def inline_md(self, part: Inline) -> str:
        """Markdown of inline content (on one line)."""
        if isinstance(part, str):
            return md_escape(re.sub(r"[ \t\r\n]+", " ", part))
        if isinstance(part, Link):
            return f"[{md_escape(part.text)}]({self.href(part.page, '.md')})"
        if isinstance(part, Code):
            text = re.sub(r"[ \t\r\n]+", " ", part.text).strip().replace("|", "\\|")
            fence = "``" if "`" in text else "`"
            return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"
        if isinstance(part, Strong):
            return f"**{md_escape(part.text)}**"
        if isinstance(part, Styled):
            return self.inline_md(part.content)
        return "".join(self.inline_md(p) for p in part)

    # -- blocks -------------------------------------------------------------------------

    def heading(self, text: str, level: int = 2, anchor: str | None = None) -> None:
        """A section title; ``anchor`` gives it an id that links can target."""
        ident = f' id="{escape(anchor)}"' if anchor else ""
        self._html.append(f"<h{level}{ident}>{escape(text)}</h{level}>")
        self._md.append(f"{'#' * level} {md_escape(text)}")

    def para(self, *parts: Inline, css: str = "") -> None:
        """A paragraph of inline parts."""
        klass = f' class="{escape(css)}"' if css else ""
        self._html.append(f"<p{klass}>{self.inline_html(parts)}</p>")
        self._md.append(self.inline_md(parts))

    def facts(self, rows: Sequence[tuple[str, Inline | None]]) -> None:
        """Label / value pairs (a definition list); rows with an empty value are left out."""
        kept = [(label, value) for label, value in rows if value not in (None, "", [], ())]
        if not kept:
            return
        items = "".join(
            f"<dt>{escape(label)}</dt><dd>{self.inline_html(value)}</dd>"
            for label, value in kept
            if value is not None
        )
        self._html.append(f'<dl class="facts">{items}</dl>')
        self._md.append(
            "\n".join(
                f"- **{md_escape(label)}** : {self.inline_md(value)}"
                for label, value in kept
                if value is not None
            )
        )

    def bullets(self, items: Sequence[Inline]) -> None:
        """A bulleted list."""
        if not items:
            return
        lis = "".join(f"<li>{self.inline_html(item)}</li>" for item in items)
        self._html.append(f"<ul>{lis}</ul>")
        self._md.append("\n".join(f"- {self.inline_md(item)}" for item in items))

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Inline]],
        *,
        numeric: Sequence[int] = (),
        css: str = "",
        empty: str = "",
    ) -> None:
        """A table; ``numeric`` columns are right-aligned; ``empty`` is said when there are no
        rows."""
        if not rows:
            if empty:
                self.para(empty, css="muted")
            return

        def cell(tag: str, i: int, value: Inline) -> str:
            classes = ["num"] if i in numeric else []
            if isinstance(value, Styled):
                classes.append(value.css)
                value = value.content
            klass = f' class="{" ".join(classes)}"' if classes else ""
            return f"<{tag}{klass}>{self.inline_html(value)}</{tag}>"

        head = "".join(cell("th", i, h) for i, h in enumerate(headers))
        body = "".join(
            "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
        )
        klass = f' class="{escape(css)}"' if css else ""
        self._html.append(
            f'<div class="table-wrap"><table{klass}><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
        )
        align = ["---:" if i in numeric else "---" for i in range(len(headers))]
        lines = [
            "| " + " | ".join(md_escape(h) for h in headers) + " |",
            "| " + " | ".join(align) + " |",
        ]
        lines += ["| " + " | ".join(self.inline_md(v) or " " for v in row) + " |" for row in rows]
        self._md.append("\n".join(lines))

    def figure(self, svg: str, asset: str, caption: str, *, css: str = "") -> None:
        """An SVG drawing inline in HTML, and as an image file beside the Markdown page."""
        self.assets[asset] = svg
        klass = f' class="figure {escape(css)}"' if css else ' class="figure"'
        self._html.append(
            f"<figure{klass}>{svg}<figcaption>{escape(caption)}</figcaption></figure>"
        )
        self._md.append(f"![{md_escape(caption)}]({self.href(asset.rsplit('.', 1)[0], '.svg')})")

    def raw(self, html: str, markdown: str) -> None:
        """A block given directly in both forms (for layouts a table cannot express)."""
        self._html.append(html)
        if markdown:
            self._md.append(markdown)

    # -- output -------------------------------------------------------------------------

    def html(self) -> str:
        """The page body as an HTML fragment."""
        return "\n".join(self._html)

    def markdown(self) -> str:
        """The page as Markdown, ending with a newline."""
        title = f"{self.kicker} — {self.title}" if self.kicker else self.title
        return "\n\n".join([f"# {md_escape(title)}", *self._md]) + "\n"
