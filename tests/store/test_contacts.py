"""The email and phone shortcuts give exactly what email-validator and phonenumbers give."""

from __future__ import annotations

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from animato.store.contacts import normalise_all, normalise_email, normalise_phone

REGIONS = ["FR", "BE", "GB", "DE", "IT", "ES", "CH", "US", "RE"]


def library_email(value: str) -> str | None:
    try:
        return str(validate_email(value.strip().lower(), check_deliverability=False).normalized)
    except EmailNotValidError:
        return None


def library_phone(value: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


LABEL = st.text(alphabet="abxn09-", min_size=1, max_size=6)
DOMAIN = st.lists(LABEL, min_size=1, max_size=3).map(".".join) | st.sampled_from(
    ["example.test", "mail.local", "localhost", "ab--cd.fr", "xn--bcher-kva.ch", "a.b1", "x.onion"]
)
EMAIL = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.text(alphabet="aZ09._+-!é ", min_size=0, max_size=8),
    DOMAIN,
) | st.text(alphabet="ab.@-", max_size=12)


@settings(max_examples=3000)
@given(EMAIL)
def test_email_shortcut_agrees_with_email_validator(value: str) -> None:
    assert normalise_email(value) == library_email(value)


def test_emails_are_lower_cased_and_reserved_domains_refused() -> None:
    assert normalise_email(" Anne.Martin@Example.FR ") == "anne.martin@example.fr"
    assert normalise_email("a" * 60 + "@" + "b" * 63 + ".fr") == library_email(
        "a" * 60 + "@" + "b" * 63 + ".fr"
    )
    for bad in ("anne@example.test", "anne@localhost", "anne", "anne@@x.fr", "a..b@x.fr"):
        assert normalise_email(bad) is None


DIGITS = st.text(alphabet="0123456789", min_size=3, max_size=12)


@settings(max_examples=3000)
@given(
    st.sampled_from(REGIONS),
    st.sampled_from(["national", "international", "compact"]),
    st.integers(1, 9),
    DIGITS,
    st.sampled_from(["", " ", ".", "-"]),
)
def test_phone_shortcut_agrees_with_phonenumbers(
    region: str, form: str, first: int, rest: str, separator: str
) -> None:
    digits = f"{first}{rest}"
    grouped = separator.join(digits[i : i + 2] for i in range(0, len(digits), 2))
    code = phonenumbers.country_code_for_region(region)
    value = {
        "national": "0" + grouped,
        "international": f"+{code} {grouped}",
        "compact": f"+{code}{digits}",
    }[form]
    assert normalise_phone(value, region) == library_phone(value, region)


@pytest.mark.parametrize("region", ["FR", "BE"])
def test_every_national_prefix_agrees_with_phonenumbers(region: str) -> None:
    for prefix in range(100, 1000):
        for value in (f"0{prefix}123456", f"0{prefix} 12 34 56", f"0{prefix}12345"):
            assert normalise_phone(value, region) == library_phone(value, region), value


def test_phones_in_e164() -> None:
    assert normalise_phone("06 12 34 56 78") == "+33612345678"
    assert normalise_phone("+33 (0)6 12 34 56 78") == "+33612345678"
    assert normalise_phone("+32 470 12 34 56") == "+32470123456"
    assert normalise_phone("06 12") is None
    assert normalise_phone("not a number") is None


def test_time_zones_are_checked_against_the_tz_database() -> None:
    assert normalise_all(["Europe/Paris", "Mars/Base"], "timezone") == ["Europe/Paris", None]
