"""Rendering real templates of a real plan folder: email (MJML), SMS, call lists, limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from animato import load_plan
from animato.render import Renderer
from animato.render.sms import GSM7_BASIC, measure, transliterate
from tests.plan.planfiles import write_plan

EMAIL = """\
---
subject: "Bienvenue {{ customer.first_name }}"
preheader: "Votre code {{ offer.code | default: 'MERCI' }}"
---
<mjml><mj-head><mj-attributes><mj-text color="#2b2622" /></mj-attributes></mj-head>
<mj-body><mj-section><mj-column>
<mj-text>Bonjour {{ customer.first_name }}, {{ offer.code | default: "sans code" }}</mj-text>
<mj-button href="{{ links.shop }}">Voir</mj-button>
</mj-column></mj-section></mj-body></mjml>
"""


def renderer(tmp_path: Path, **templates: str) -> Renderer:
    """A renderer of the test plan, with templates written after the plan was validated (the
    validator would refuse the broken ones).
    """
    folder = write_plan(tmp_path / "plan")
    plan = load_plan(folder)
    (folder / "templates" / "bienvenue.mjml").write_text(EMAIL)
    for name, text in templates.items():
        (folder / "templates" / name).write_text(text)
    return Renderer(plan)


DATA: dict[str, Any] = {
    "customer": {"customer_id": "c1", "first_name": "Anne <b>", "phone": "+33600000001"},
    "links": {"shop": "https://example.fr/shop?m=1&x=2"},
}


def test_an_mjml_email_is_compiled_inlined_and_filled_in(tmp_path: Path) -> None:
    out = renderer(tmp_path).render("email", "bienvenue", DATA)
    assert out.error is None
    assert out.subject == "Bienvenue Anne <b>"  # a subject is text, not HTML
    assert out.html is not None and out.text is not None
    assert "Bonjour Anne &lt;b&gt;, sans code" in out.html  # customer data is escaped in HTML
    assert 'style="' in out.html and "color:#2b2622" in out.html.replace(" ", "")
    assert "https://example.fr/shop?m=1&amp;x=2" in out.html
    assert "Bonjour Anne <b>, sans code" in out.text
    assert ">Votre code MERCI</div>" in out.html  # the preheader, hidden at the top of the body
    assert "Votre code" not in out.text
    assert "[Voir](https://example.fr/shop?m=1&x=2)" in out.text


def test_a_missing_value_fails_that_message_only_and_tests_treat_it_as_false(
    tmp_path: Path,
) -> None:
    r = renderer(tmp_path, **{"guarded.liquid": "{% if customer.nickname %}x{% endif %}ok"})
    out = r.render("email", "bienvenue", {"customer": {"customer_id": "c2"}})
    assert out.error == "missing_data: customer.first_name" and out.html is None
    assert r.render("sms", "guarded", {"customer": {}}).text == "ok"
    assert r.render("email", "bienvenue", DATA).error is None  # the next message renders


@pytest.mark.parametrize(
    "body",
    [
        "{% for i in (1..100000000) %}{{ i }}{% endfor %}",
        "{% for i in (1..5000) %}{% for j in (1..5000) %}x{% endfor %}{% endfor %}",
        "{% assign s = 'xxxxxxxxxx' %}{% for i in (1..9000) %}{{ s }}{{ s }}{{ s }}{% endfor %}",
    ],
)
def test_a_template_that_loops_forever_or_grows_huge_fails_within_limits(
    tmp_path: Path, body: str
) -> None:
    out = renderer(tmp_path, **{"boucle.liquid": body}).render("sms", "boucle", DATA)
    assert out.error is not None and out.error.startswith("template_limit: ")
    assert out.text is None


def test_an_unknown_or_broken_template_is_an_error_for_the_message(tmp_path: Path) -> None:
    r = renderer(tmp_path, **{"casse.liquid": "{% if %}"})
    assert r.render("sms", "absent", DATA).error == "template_error: no template 'absent'"
    error = r.render("sms", "casse", DATA).error
    assert error is not None and error.startswith("template_error: template 'casse' does not parse")


def test_sms_encoding_segments_and_transliteration(tmp_path: Path) -> None:
    text = "Votre fête approche : ça se célèbre ! {{ customer.first_name }}"
    r = renderer(tmp_path, **{"fete.liquid": text})
    out = r.render("sms", "fete", DATA)
    assert (out.sms_encoding, out.sms_segments) == ("UCS-2", 1)
    r.transliterate = True
    out = r.render("sms", "fete", DATA)
    assert out.text == "Votre fete approche : ca se célèbre ! Anne <b>"
    assert out.sms_encoding == "GSM-7"


def test_gsm7_and_ucs2_segment_sizes() -> None:
    assert measure("a" * 160).segments == 1 and measure("a" * 161).segments == 2
    assert measure("a" * 306).segments == 2 and measure("a" * 307).segments == 3
    assert measure("€" * 80).length == 160  # an extension character counts twice
    assert measure("ç" * 70).segments == 1 and measure("ç" * 71).segments == 2
    assert measure("ç" * 134).segments == 2 and measure("ç" * 135).segments == 3
    assert transliterate("Œuvre à l’hôtel") == "OEuvre à l'hotel"


@given(st.text(alphabet=GSM7_BASIC, max_size=700))
def test_a_gsm7_text_takes_160_then_153_characters_a_segment(text: str) -> None:
    sms = measure(text)
    assert sms.encoding == "GSM-7" and sms.length == len(text)
    assert sms.segments == (1 if len(text) <= 160 else -(-len(text) // 153))


def test_call_lists_carry_what_the_call_centre_needs(tmp_path: Path) -> None:
    r = renderer(tmp_path, **{"appel.txt": "Appeler {{ customer.first_name }}"})
    out = r.render("call", "appel", DATA)
    assert out.text == "Appeler Anne <b>"
    assert out.fields == '{"customer_id": "c1", "first_name": "Anne <b>", "phone": "+33600000001"}'
