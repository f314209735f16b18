"""Signed tokens: round trips, and nothing else gets through (tampering, other secrets, garbage)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from animato.tracking.tokens import KINDS, Signer, Token

SIGNER = Signer("s3cret")
ids = st.text(st.characters(blacklist_characters=":", blacklist_categories=["Cs"]), min_size=1)
urls = st.one_of(st.just(""), st.text(st.characters(blacklist_categories=["Cs"]), min_size=1))
tokens = st.builds(Token, st.sampled_from(sorted(KINDS)), ids, urls)


@given(tokens)
def test_a_signed_token_parses_back_to_itself(token: Token) -> None:
    assert SIGNER.parse(SIGNER.sign(token)) == token


@given(tokens, st.data())
def test_any_change_to_a_token_is_refused(token: Token, data: st.DataObject) -> None:
    text = SIGNER.sign(token)
    i = data.draw(st.integers(0, len(text) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    other = data.draw(st.sampled_from(alphabet).filter(lambda c: c != text[i]))
    assert SIGNER.parse(text[:i] + other + text[i + 1 :]) is None
    assert SIGNER.parse(text[:i]) is None  # truncated


@given(tokens)
def test_a_token_of_another_secret_is_refused(token: Token) -> None:
    assert SIGNER.parse(Signer("other").sign(token)) is None


@given(st.text())
def test_garbage_never_raises_and_is_refused(text: str) -> None:
    assert SIGNER.parse(text) is None


def test_a_click_token_carries_its_destination() -> None:
    token = Token("c", "m1", "https://shop.example/a?b=1&c=d:e")
    assert SIGNER.parse(SIGNER.sign(token)) == token
    assert SIGNER.parse("x" * 5000) is None
