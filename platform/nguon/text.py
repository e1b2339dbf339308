"""Vietnamese text: NFC for storage and display, an ASCII key for search."""

from __future__ import annotations

import unicodedata

from unidecode import unidecode


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def search_key(text: str) -> str:
    """'Nguyễn Văn Đức' → 'nguyen van duc': what a user types without diacritics."""
    return " ".join(unidecode(nfc(text)).lower().split())


def ascii_digits(text: str | bytes) -> bool:
    """Only 0-9, at least one: what ``int()`` reads. ``str.isdigit`` also accepts "²" or
    "①", which ``int()`` refuses (a 500 where a 400 was meant)."""
    return text.isascii() and text.isdigit()
