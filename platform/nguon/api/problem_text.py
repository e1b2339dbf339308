"""The two languages of a problem: services write "Vietnamese / English", problems carry
each half in its own field, and Vietnamese text shows the Vietnamese label of a code."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

_VIETNAMESE_LETTER = re.compile(r"[À-ỹđĐ]")
_QUOTED = re.compile(r"«(?P<code>[a-z][a-z0-9_]*)»")


def split_message(message: str) -> tuple[str, str]:
    """``"Không tìm thấy / Not found: unit"`` → the Vietnamese and the English halves.

    A joined message ("vi / en; vi / en" or "vi / en. vi / en") keeps each sentence with
    its language. Without an English half, both are the whole message.
    """
    parts = message.split(" / ")
    if len(parts) == 1:
        return message.strip(), message.strip()
    vi: list[str] = [parts[0].strip()]
    en: list[str] = []
    for part in parts[1:]:
        # Right after " / " comes English (which may quote names with diacritics); a
        # later sentence with Vietnamese letters starts the next "vi / en" pair.
        first, *rest = re.split(r"(?<=[.!?])\s+", part)
        en.append(first.strip())
        for sentence in rest:
            (vi if _VIETNAMESE_LETTER.search(sentence) else en).append(sentence.strip())
    return " ".join(s for s in vi if s), " ".join(s for s in en if s) or message.strip()


@cache
def _label_tables() -> tuple[Mapping[str, str], ...]:
    from nguon.people.labels import (
        EDUCATION_LABELS,
        END_REASON_LABELS,
        MEMBER_STATUS_LABELS,
        POLITICAL_LABELS,
        SEX_LABELS,
        STAGE_LABELS,
    )
    from nguon.portal.context import (
        LIST_STATE_LABELS,
        PERIOD_KIND_LABELS,
        ROLE_LABELS,
        STEP_LABELS,
    )
    from nguon.portal.members import STATE_LABELS

    return (
        STAGE_LABELS,
        LIST_STATE_LABELS,
        STEP_LABELS,
        SEX_LABELS,
        EDUCATION_LABELS,
        POLITICAL_LABELS,
        MEMBER_STATUS_LABELS,
        END_REASON_LABELS,
        ROLE_LABELS,
        PERIOD_KIND_LABELS,
        STATE_LABELS,
    )


def labels_for(values: Iterable[str]) -> dict[str, str]:
    """The Vietnamese label of each value of one enumeration, from the table that has them
    all (the smallest such table); a value no table knows keeps itself."""
    wanted = set(values)
    tables = [t for t in _label_tables() if wanted <= set(t)]
    table = min(tables, key=len) if tables else {}
    return {value: table.get(value, value) for value in values}


def vietnamese_labels(text: str) -> str:
    """Codes quoted «like_this» inside Vietnamese text become their Vietnamese labels."""

    def label(match: re.Match[str]) -> str:
        code = match.group("code")
        for table in _label_tables():
            if code in table:
                return f"«{table[code]}»"
        return match.group()

    return _QUOTED.sub(label, text)


def has_vietnamese(text: str) -> bool:
    return bool(_VIETNAMESE_LETTER.search(text))
