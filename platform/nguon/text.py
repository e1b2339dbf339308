"""Vietnamese text: NFC for storage and display, an ASCII key for search."""

from __future__ import annotations

import unicodedata

from unidecode import unidecode


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def search_key(text: str) -> str:
    """'Nguyễn Văn Đức' → 'nguyen van duc': what a user types without diacritics."""
    return " ".join(unidecode(nfc(text)).lower().split())
