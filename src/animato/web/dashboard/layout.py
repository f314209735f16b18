"""The dashboard's HTML: the page around every view, tables, forms (each with its CSRF token)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from importlib.resources import files

from animato.web.users import User

NAV = (
    ("/plan/index.html", "plan", "Plan"),
    ("/plan/calendar.html", "calendar", "Calendar"),
    ("/pressure", "pressure", "Pressure"),
    ("/results", "results", "Results"),
    ("/customers", "customers", "Customers"),
    ("/operations", "operations", "Operations"),
)


@dataclass(frozen=True)
class Viewer:
    """Who looks at a page, and the CSRF token their forms carry."""

    user: User
    csrf: str


def stylesheet() -> str:
    """The dashboard's stylesheet (added to the sheet site's)."""
    return files("animato.web.dashboard").joinpath("dashboard.css").read_text(encoding="utf-8")


def page(
    title: str,
    body: str,
    viewer: Viewer | None,
    *,
    here: str = "",
    plan: str = "",
    refresh: int | None = None,
    base: str = "",
) -> str:
    """A complete page: header with navigation and the user, then ``body``."""
    nav = "".join(
        f'<a href="{href}"{" aria-current=page" if key == here else ""}>{label}</a>'
        for href, key, label in NAV
    )
    who = ""
    if viewer is not None:
        who = (
            f'<span class="who">{escape(viewer.user.name)} · {viewer.user.role}'
            f"{form('/logout', viewer, '', 'Sign out', quiet=True)}</span>"
        )
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    if base:  # the sheet site's relative links, from the page it was written as
        meta += f'<base href="{escape(base)}">'
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{meta}
<title>{escape(title)} · {escape(plan)} · animato</title>
<link rel="stylesheet" href="/assets/sheet.css">
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body>
<header class="site"><div class="wrap">
<a class="brand" href="/plan/index.html">{escape(plan)}</a>
<nav>{nav if viewer is not None else ""}</nav>{who}
</div></header>
<main class="wrap">
{body}
</main>
</body>
</html>
"""


def form(
    action: str,
    viewer: Viewer,
    fields: str,
    label: str,
    *,
    hidden: dict[str, str] | None = None,
    quiet: bool = False,
) -> str:
    """A POST form with the viewer's CSRF token, extra ``fields`` (HTML) and a button."""
    inputs = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in {"csrf": viewer.csrf, **(hidden or {})}.items()
    )
    klass = ' class="quiet"' if quiet else ""
    return (
        f'<form class="inline" method="post" action="{escape(action)}">{inputs}{fields}'
        f"<button type=submit{klass}>{escape(label)}</button></form>"
    )


def table(
    head: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    empty: str = "Nothing yet.",
    css: str = "",
    row_css: Sequence[str] = (),
) -> str:
    """A table; numbers right-aligned and grouped, times to the minute; cells given as
    :class:`Html` are not escaped.
    """
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) for r in rows if r[i] is not None)
        for i in range(len(head))
    ]
    heads = "".join(
        f"<th{' class=num' if numeric[i] else ''}>{escape(h)}</th>" for i, h in enumerate(head)
    )
    lines = []
    for n, row in enumerate(rows):
        cells = "".join(
            f"<td{' class=num' if numeric[i] else ''}>{cell(v)}</td>" for i, v in enumerate(row)
        )
        klass = f' class="{escape(row_css[n])}"' if n < len(row_css) else ""
        lines.append(f"<tr{klass}>{cells}</tr>")
    klass = f' class="{escape(css)}"' if css else ""
    return (
        f'<div class="table-wrap"><table{klass}><thead><tr>{heads}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table></div>"
    )


class Html(str):
    """Markup that a table shows as it is (already escaped)."""


def cell(value: object) -> str:
    """One value as table text."""
    if isinstance(value, Html):
        return str(value)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", "\u202f")
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return escape(str(value))


def link(href: str, text: str) -> Html:
    """A link for a table cell."""
    return Html(f'<a href="{escape(href)}">{escape(text)}</a>')


def cards(items: Sequence[tuple[str, str]]) -> str:
    """Key figures as cards: (value, label)."""
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in items
        )
        + "</div>"
    )
