"""SMS text: its encoding (GSM-7 or UCS-2) and segment count, and an optional transliteration.

GSM 03.38 holds the basic Latin letters and some accented ones (é, è, à, ù, ì, ò, Ç, É…) but not
ç, â, ê, î, ô, û, ë, ï or œ: one of them turns the whole message into UCS-2, 70 characters a
segment instead of 160. The extension table (€, [, ], {, }, ^, ~, |, \\) costs two characters each.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_BASIC, _EXTENDED = frozenset(GSM7_BASIC), frozenset(GSM7_EXTENDED)

# French letters GSM-7 lacks, and what they become when the plan asks for transliteration.
FRENCH = {
    "ç": "c", "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ë": "e", "ï": "i",
    "œ": "oe", "Œ": "OE", "À": "A", "Â": "A", "È": "E", "Ê": "E", "Ë": "E", "Î": "I", "Ï": "I",
    "Ô": "O", "Ù": "U", "Û": "U", "ÿ": "y", "’": "'", "«": '"', "»": '"', "–": "-", "—": "-",
    "…": "...", "\u00a0": " ", "\u202f": " ",
}  # fmt: skip
_TABLE = str.maketrans(FRENCH)


@dataclass(frozen=True)
class Sms:
    """An SMS text with its encoding, length in that encoding's units, and segments."""

    text: str
    encoding: str
    length: int
    segments: int


def measure(text: str) -> Sms:
    """Encoding and segment count of ``text`` (concatenated segments carry a 7-byte header)."""
    if all(ch in _BASIC or ch in _EXTENDED for ch in text):
        length = len(text) + sum(1 for ch in text if ch in _EXTENDED)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # UTF-16 code units
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if length <= single else -(-length // multi)
    return Sms(text, encoding, length, segments)


def transliterate(text: str) -> str:
    """``text`` with the French characters GSM-7 lacks replaced by their closest GSM-7 letters."""
    return text.translate(_TABLE)
