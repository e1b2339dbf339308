"""Vietnamese text: NFC for storage and display, an ASCII key for search."""

from __future__ import annotations

import functools
import unicodedata

from unidecode import unidecode


def nfc(text: str) -> str:
    text = text.strip()
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def search_key(text: str) -> str:
    """'Nguyễn Văn Đức' → 'nguyen van duc': what a user types without diacritics."""
    return " ".join(key for word in nfc(text).split(" ") if (key := _word_key(word)))


@functools.lru_cache(maxsize=65_536)
def _word_key(word: str) -> str:
    # Names are made of few distinct words: a province's import meets each word thousands
    # of times, and unidecode is the slow part of reading a row. It maps character by
    # character and keeps the ASCII space, so keying the words between spaces gives the
    # key of the whole text (other Unicode spaces are mapped inside a word).
    return " ".join(unidecode(word).lower().split())


def ascii_digits(text: str | bytes) -> bool:
    """Only 0-9, at least one: what ``int()`` reads. ``str.isdigit`` also accepts "²" or
    "①", which ``int()`` refuses (a 500 where a 400 was meant)."""
    return text.isascii() and text.isdigit()
