"""Reading a member's fields as typed: dd/mm/yyyy whatever the browser's language, date
cells from a sheet, and Vietnamese messages by field."""

from __future__ import annotations

import datetime as dt

import pytest

from nguon.people.member_input import parse_day, read_member_fields

TODAY = dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("02/09/2024", dt.date(2024, 9, 2)),
        ("2/9/2024", dt.date(2024, 9, 2)),
        ("02-09-2024", dt.date(2024, 9, 2)),
        ("02.09.2024", dt.date(2024, 9, 2)),
        ("2024-09-02", dt.date(2024, 9, 2)),
        (" 12/02/2026 ", dt.date(2026, 2, 12)),
        (dt.datetime(2024, 9, 2, 0, 0), dt.date(2024, 9, 2)),
        (dt.date(2024, 9, 2), dt.date(2024, 9, 2)),
    ],
)
def test_days_are_read_day_first(typed: object, day: dt.date) -> None:
    assert parse_day(typed) == day  # type: ignore[arg-type]


@pytest.mark.parametrize("typed", ["31/02/2024", "2024/09/02", "09/2024", "", "hôm qua", 45000])
def test_what_is_not_a_day_is_refused(typed: object) -> None:
    with pytest.raises(ValueError):
        parse_day(typed)  # type: ignore[arg-type]


def test_fields_become_member_values_or_messages_by_field() -> None:
    values, errors = read_member_fields(
        {
            "full_name": "  Trần   Thị Bình ",
            "date_of_birth": "02/03/1980",
            "sex": "Nữ",
            "card_number": "01 234567",
            "admitted_on": "02/09/2005",
            "official_on": "",
        },
        TODAY,
    )
    assert errors == {}
    assert values["full_name"] == "Trần Thị Bình"
    assert values["card_number"] == "01234567"
    assert values["status"] == "probationary" and values["official_on"] is None

    _, errors = read_member_fields(
        {
            "date_of_birth": "02/03/2010",
            "sex": "x",
            "card_number": "số #1",
            "admitted_on": "02/09/2027",
            "official_on": "01/01/2020",
        },
        TODAY,
    )
    assert errors == {
        "full_name": "Hãy nhập họ và tên.",
        "sex": "Giới tính “x” không đúng: hãy ghi Nam hoặc Nữ.",
        "card_number": "Số thẻ đảng viên chỉ gồm chữ số, chữ cái và dấu . / - (tối đa 32).",
        "admitted_on": f"Ngày vào Đảng “02/09/2027” không được ở sau hôm nay ({TODAY:%d/%m/%Y}).",
    }
    _, errors = read_member_fields(
        {
            "full_name": "An",
            "date_of_birth": "02/03/2000",
            "sex": "Nam",
            "admitted_on": "02/09/2017",
            "official_on": "01/01/2016",
        },
        TODAY,
    )
    assert errors == {
        "admitted_on": "Ngày vào Đảng “02/09/2017” phải từ khi đủ 18 tuổi (02/03/2018).",
        "official_on": "Ngày chính thức “01/01/2016” phải sau ngày vào Đảng (02/09/2017).",
    }
