"""Tracking links: outside links become signed click redirects, ours are left, a pixel is added."""

from __future__ import annotations

import re

from animato.tracking import Signer, Token, Tracker

TRACKER = Tracker(Signer("k"), "https://t.example/", "https://shop.example/")


def test_email_links_become_click_redirects_that_resolve_to_the_original() -> None:
    html = (
        '<html><body><a href="https://shop.example/p?a=1&amp;b=2">x</a>'
        '<a href="https://t.example/u/tok">unsub</a>'
        '<link href="https://fonts.example/f.css" rel="stylesheet"></body></html>'
    )
    text = "Voir https://shop.example/p?a=1&b=2. Merci"
    out_html, out_text = TRACKER.email("m1", html, text)
    hrefs = re.findall(r'href="([^"]+)"', out_html)
    assert hrefs[1] == "https://t.example/u/tok"
    assert hrefs[2] == "https://fonts.example/f.css"  # not a link a reader clicks
    click = hrefs[0].replace("&amp;", "&")
    assert click.startswith("https://t.example/c/")
    assert TRACKER.signer.parse(click.rsplit("/", 1)[1]) == Token(
        "c", "m1", "https://shop.example/p?a=1&b=2"
    )
    [pixel] = re.findall(r'<img src="(https://t.example/o/[^"]+)"', out_html)
    assert TRACKER.signer.parse(pixel.rsplit("/", 1)[1]) == Token("o", "m1")
    assert out_html.index(pixel) < out_html.index("</body>")
    [plain] = re.findall(r"https://t.example/c/[\w-]+\.[\w-]+", out_text)
    assert out_text.endswith(". Merci") and not plain.endswith(".")
    assert TRACKER.signer.parse(plain.rsplit("/", 1)[1]) == Token(
        "c", "m1", "https://shop.example/p?a=1&b=2"
    )


def test_links_of_a_message_are_signed_and_differ_by_message() -> None:
    one, two = TRACKER.links("m1"), TRACKER.links("m2")
    assert set(one) == {"unsubscribe", "preferences", "view_online", "shop"}
    assert one["unsubscribe"] != two["unsubscribe"]
    token = TRACKER.signer.parse(one["shop"].rsplit("/", 1)[1])
    assert token == Token("c", "m1", "https://shop.example/")
    assert "m1" not in one["unsubscribe"]  # no readable id in the URL
    assert TRACKER.mailto("m1", "desinscription@shop.example").startswith(
        "mailto:desinscription@shop.example?subject=unsubscribe%20"
    )
