"""Dates as a Vietnamese user types and reads them: ngày/tháng/năm (05/09/2026), whatever
the browser's language. Date fields are text inputs (a browser's own date picker shows
the order of its locale, mm/dd/yyyy in English); the server reads them here."""

from __future__ import annotations

import datetime as dt
import re

PATTERN = r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}|\d{4}-\d{2}-\d{2}"
"""What a date field accepts (the HTML ``pattern``): d/m/yyyy with / . or -, or ISO."""
HINT = "Nhập theo dạng ngày/tháng/năm, ví dụ 05/09/2026."
INPUT_ATTRIBUTES = (
    'inputmode="numeric" autocomplete="off" placeholder="ngày/tháng/năm" maxlength="10" '
    f'pattern="{PATTERN}" title="Ngày/tháng/năm, ví dụ 05/09/2026"'
)
"""A text input's attributes for a date typed as ngày/tháng/năm (see ``date_input`` macro)."""
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str) -> dt.date:
    """``05/09/2026``, ``5/9/2026``, ``05-09-2026``, ``05.09.2026`` → 5 September 2026;
    ``2026-09-05`` (ISO, as scripts and older forms send it) too. ValueError otherwise."""
    text = text.strip()
    match = _DAY_FIRST.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    if _ISO.match(text):
        return dt.date.fromisoformat(text)
    raise ValueError(f"not a day/month/year date: {text!r}")


def invalid_message(label: str) -> str:
    """The message beside a date field that could not be read, naming the field."""
    return f"{label[:1].upper()}{label[1:]} không đúng: {HINT[:1].lower()}{HINT[1:]}"


from nguon.clock import VIETNAM  # noqa: E402  (one definition of Vietnam's clock)


def in_vietnam(moment: dt.datetime) -> dt.datetime:
    """A stored moment (UTC; naive ones are UTC too) as a clock in Vietnam shows it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(VIETNAM)


def day_of(moment: dt.datetime) -> dt.date:
    """The day in Vietnam when ``moment`` happened (a list sent at 23:30 is sent that day)."""
    return in_vietnam(moment).date()


def when(moment: dt.datetime) -> str:
    """``02/12/2026 17:57``, Vietnam time."""
    return f"{in_vietnam(moment):%d/%m/%Y %H:%M}"
