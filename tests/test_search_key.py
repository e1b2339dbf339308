"""The search key people find names by: the same whatever text it is given as the
whole-text transliteration it replaced (stored keys must keep matching)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from unidecode import unidecode

from nguon.text import nfc, search_key

SPACES_AND_LETTERS = list(" \t\n\r\x85\u00a0\u2028\u3000\u200baăâđêôơưÀÁẢÃẠĐ0Σσ北")


def _whole(text: str) -> str:
    return " ".join(unidecode(nfc(text)).lower().split())


def test_vietnamese_names_lose_their_diacritics_and_extra_spaces() -> None:
    assert search_key("  Nguyễn  Văn Đức ") == "nguyen van duc"
    assert search_key("LÊ\u00a0THỊ HOA") == "le thi hoa"


@settings(max_examples=3000, deadline=None)
@given(st.text())
def test_any_text_keys_as_its_whole_transliteration(text: str) -> None:
    assert search_key(text) == _whole(text)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(SPACES_AND_LETTERS)))
def test_unicode_spaces_between_words_key_as_the_whole_text(text: str) -> None:
    assert search_key(text) == _whole(text)
