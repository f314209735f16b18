"""Email addresses and phone numbers as ingestion checks them: email-validator and phonenumbers.

Both libraries are the reference, called with no network access (no DNS look-up at ingest). They
cost tens of microseconds a value, so the common shapes take a shortcut: a plain ASCII address, or
a number written ``0X XX XX XX XX`` / ``+33 X XX XX XX XX`` in the default region. Tests check
that the shortcut gives exactly what the libraries give; every other value goes to the library.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal
from zoneinfo import available_timezones

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

DEFAULT_REGION = "FR"

_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_EMAIL = re.compile(
    rf"{_ATOM}(?:\.{_ATOM})*@((?:{_LABEL}\.)+(?:[a-z0-9][a-z0-9-]{{0,61}})?[a-z])"
)
_RESERVED_LABEL = re.compile(r"(?:^|\.)[^.]{2}--")
_SPECIAL_DOMAIN = re.compile(
    r"(?:^|\.)(?:" + "|".join(re.escape(d) for d in SPECIAL_USE_DOMAIN_NAMES) + r")$"
)
_SEPARATORS = re.compile(r"[ .-]")
# The number types phonenumbers tries, in the order of its _number_type_helper.
_NUMBER_TYPES = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number",
    "pager", "uan", "voicemail", "fixed_line", "mobile",
)  # fmt: skip


def normalise_email(value: str) -> str | None:
    """The lower-cased address if it is valid, else None (syntax only, no DNS)."""
    value = value.strip().lower()
    match = _PLAIN_EMAIL.fullmatch(value)
    if match and len(value) <= 254 and _plain_domain(match.group(1)):
        return value
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError:
        return None


def _plain_domain(domain: str) -> bool:
    """A domain the shortcut may accept: short enough, no Punycode-like label, not reserved."""
    return (
        len(domain) <= 253
        and not _RESERVED_LABEL.search(domain)
        and not (_SPECIAL_DOMAIN.search(domain))
    )


@dataclass(frozen=True)
class _Shortcut:
    """A region's plain numbers: ``0`` or ``+code``, then digits and single separators.

    Such a number is valid when its digits match the region's general pattern and one number
    type's pattern, both with their possible lengths: what ``phonenumbers.is_valid_number`` tests
    once ``parse`` has taken the prefix off.
    """

    code: int
    shape: re.Pattern[str]
    general: tuple[frozenset[int], re.Pattern[str]]
    kinds: dict[int, re.Pattern[str]]

    @classmethod
    def of(cls, region: str) -> _Shortcut | None:
        code = phonenumbers.country_code_for_region(region)
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        general = meta.general_desc if meta is not None else None
        if meta is None or general is None or general.national_number_pattern is None:
            return None
        if meta.national_prefix_transform_rule:
            return None
        if meta.national_prefix_for_parsing not in (None, "0"):
            return None
        if tuple(phonenumbers.region_codes_for_country_code(code)) != (region,):
            return None
        zero = "|(?P<zero>0)" if meta.national_prefix == "0" else ""
        shape = re.compile(rf"(?:\+{code}[ .-]?{zero})(?P<rest>[1-9](?:[ .-]?[0-9])+)")
        by_length: dict[int, list[str]] = {}
        for name in _NUMBER_TYPES:
            desc = getattr(meta, name)
            if desc is None or desc.national_number_pattern is None:
                continue
            for length in desc.possible_length or general.possible_length:
                by_length.setdefault(length, []).append(desc.national_number_pattern)
        return cls(
            code,
            shape,
            (frozenset(general.possible_length), re.compile(general.national_number_pattern)),
            {n: re.compile("|".join(f"(?:{p})" for p in ps)) for n, ps in by_length.items()},
        )

    def normalise(self, value: str) -> str | None | Literal[False]:
        """The E.164 number, None when not valid, False when the value is not a plain number."""
        match = self.shape.fullmatch(value)
        if not match:
            return False
        digits = _SEPARATORS.sub("", match.group("rest"))
        lengths, general = self.general
        national = "zero" in self.shape.groupindex and match.group("zero") is not None
        # parse() keeps the 0 when the digits are too short or when the 0 belongs to the number
        if national and (len(digits) not in lengths or general.fullmatch("0" + digits)):
            return False
        kind = self.kinds.get(len(digits))
        valid = len(digits) in lengths and general.fullmatch(digits) and kind is not None
        return f"+{self.code}{digits}" if valid and kind and kind.fullmatch(digits) else None


@cache
def phone_normaliser(region: str = DEFAULT_REGION) -> Callable[[str], str | None]:
    """A function giving a number in E.164 (``+33612345678``), or None when it is not valid."""
    shortcut = _Shortcut.of(region)

    def normalise(value: str) -> str | None:
        value = value.strip()
        if shortcut is not None:
            quick = shortcut.normalise(value)
            if quick is not False:
                return quick
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))

    return normalise


def normalise_phone(value: str, region: str = DEFAULT_REGION) -> str | None:
    """The number in E.164 if it is valid (national numbers read in ``region``), else None."""
    return phone_normaliser(region)(value)


def normalise_all(
    values: Iterable[str], kind: str, region: str = DEFAULT_REGION
) -> list[str | None]:
    """Normalise many values of one ``kind``: ``email``, ``phone`` or ``timezone``."""
    if kind == "email":
        return [normalise_email(v) for v in values]
    if kind == "phone":
        normalise = phone_normaliser(region)
        return [normalise(v) for v in values]
    zones = _timezones()
    return [v if v in zones else None for v in values]


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())
