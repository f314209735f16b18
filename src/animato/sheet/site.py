"""Write the documentation site of a plan: HTML pages, Markdown twins, SVG drawings, one CSS.

Layout of the output folder::

    index.html / index.md            overview: programs, conventions, offers, templates
    tree.html / tree.md              scenario tree per target (+ tree-<target>.svg)
    calendar.html / calendar.md      campaign calendar of the year (+ calendar-<year>.svg)
    matrix.html / matrix.md          prioritisation matrix
    collection.html / collection.md  data-collection map: per journey stage, data and consent
    scenarios/<id>.html / .md / .svg one sheet and flow diagram per scenario
    campaigns/<id>.html / .md        one sheet per campaign
    style.css                        the only stylesheet; no script, no network

The output depends only on the plan and the year (no timestamps), so it can be diffed in git.
"""

from __future__ import annotations

from datetime import date
from html import escape
from importlib.resources import files
from pathlib import Path

from animato.errors import PlanError
from animato.plan import Inspection
from animato.plan import model as m
from animato.sheet.collection import collection_page
from animato.sheet.document import Document
from animato.sheet.matrix import matrix_page
from animato.sheet.overview import overview_page
from animato.sheet.planning import calendar_page
from animato.sheet.sheets import campaign_sheet, scenario_sheet
from animato.sheet.tree import tree_page

NAV = (
    ("index", "Vue d'ensemble"),
    ("tree", "Arbre des scénarios"),
    ("calendar", "Calendrier"),
    ("matrix", "Matrice de priorisation"),
    ("collection", "Collecte des données"),
)


def stylesheet() -> str:
    """The site's stylesheet."""
    return files("animato.sheet").joinpath("style.css").read_text(encoding="utf-8")


def _nav_html(doc: Document) -> str:
    links = []
    for page, label in NAV:
        current = ' aria-current="page"' if doc.page == page else ""
        links.append(f'<a href="{escape(doc.href(page, ".html"))}"{current}>{escape(label)}</a>')
    return "".join(links)


def _breadcrumb(doc: Document, plan: m.Plan) -> str:
    kind, _, ident = doc.page.partition("/")
    if not ident:
        return ""
    program = plan.program_of(ident)
    home = escape(doc.href("index", ".html"))
    anchor = escape(doc.href(f"index#programme-{program.id}", ".html"))
    return (
        f'<p class="crumbs"><a href="{home}">{escape(plan.name)}</a> › '
        f'<a href="{anchor}">Programme {escape(program.name)}</a> › {escape(doc.title)}</p>'
    )


def html_page(doc: Document, plan: m.Plan) -> str:
    """A complete HTML page around a document's body."""
    css = escape(doc.href("style", ".css"))
    kicker = f'<p class="kicker">{escape(doc.kicker)}</p>' if doc.kicker else ""
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(doc.title)} · {escape(plan.name)}</title>
<link rel="stylesheet" href="{css}">
</head>
<body>
<header class="site"><div class="wrap">
<a class="brand" href="{escape(doc.href("index", ".html"))}">{escape(plan.name)}</a>
<nav>{_nav_html(doc)}</nav>
</div></header>
<main class="wrap">
{_breadcrumb(doc, plan)}{kicker}<h1>{escape(doc.title)}</h1>
{doc.html()}
</main>
<footer class="wrap">Plan « {escape(plan.name)} » — document produit par animato à partir des
fichiers du plan ; ne pas modifier à la main.</footer>
</body>
</html>
"""


def markdown_page(doc: Document) -> str:
    """A document's Markdown with the site's navigation on top."""
    nav = " · ".join(f"[{label}]({doc.href(page, '.md')})" for page, label in NAV)
    return f"{nav}\n\n{doc.markdown()}"


def documents(result: Inspection, year: int) -> list[Document]:
    """Every page of the site, overview first."""
    plan = result.plan
    if plan is None:
        raise PlanError(result.problems)
    templates = result.templates
    docs = [overview_page(plan, templates, year), tree_page(plan), calendar_page(plan, year)]
    docs.append(matrix_page(plan))
    docs.append(collection_page(plan, templates))
    docs += [scenario_sheet(plan, s, templates, year) for s in plan.scenarios]
    docs += [campaign_sheet(plan, c, templates, year) for c in plan.campaigns]
    return docs


def build_site(result: Inspection, year: int) -> dict[str, str]:
    """The site as file contents by relative path, without writing anything."""
    plan = result.plan
    if plan is None:
        raise PlanError(result.problems)
    out = {"style.css": stylesheet()}
    for doc in documents(result, year):
        out[f"{doc.page}.html"] = html_page(doc, plan)
        out[f"{doc.page}.md"] = markdown_page(doc)
        for asset, content in doc.assets.items():
            out[asset] = content + "\n"
    return out


def write_site(result: Inspection, out_dir: Path, *, year: int | None = None) -> Path:
    """Write the plan's documentation site into ``out_dir``; return the path of index.html.

    Example::

        result = animato.inspect_plan("examples/retail")
        write_site(result, Path("build/sheet"), year=2026)
    """
    files_ = build_site(result, year or date.today().year)
    for relative, content in files_.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return out_dir / "index.html"
