"""Pages written once, rendered as HTML and Markdown that say the same thing."""

from __future__ import annotations

from animato.sheet.document import Code, Document, Link, Styled


def test_links_are_relative_to_the_page() -> None:
    doc = Document("scenarios/bienvenue", "Bienvenue")
    assert doc.href("matrix", ".html") == "../matrix.html"
    assert doc.href("scenarios/relance", ".md") == "relance.md"
    assert doc.href("index#programme-accueil", ".md") == "../index.md#programme-accueil"
    assert Document("index", "x").href("index#programme-accueil", ".html") == "#programme-accueil"


def test_table_in_both_forms() -> None:
    doc = Document("index", "Plan", "Kicker")
    doc.table(
        ["Nom", "Condition", "Note"],
        [[Link("Bienvenue", "scenarios/bienvenue"), Code("a | b"), Styled("5", "heat s5")]],
        numeric=[2],
    )
    html = doc.html()
    assert '<a href="scenarios/bienvenue.html">Bienvenue</a>' in html
    assert "<code>a | b</code>" in html
    assert '<td class="num heat s5">5</td>' in html
    assert doc.markdown().splitlines() == [
        "# Kicker — Plan",
        "",
        "| Nom | Condition | Note |",
        "| --- | --- | ---: |",
        "| [Bienvenue](scenarios/bienvenue.md) | `a \\| b` | 5 |",
    ]


def test_text_is_escaped() -> None:
    doc = Document("index", "Plan")
    doc.para("<b>gras</b> & *étoiles*")
    assert doc.html() == "<p>&lt;b&gt;gras&lt;/b&gt; &amp; *étoiles*</p>"
    assert doc.markdown().endswith("\\<b>gras\\</b> & \\*étoiles\\*\n")
