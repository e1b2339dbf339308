"""``nguon rules new``: a province package that extends the national baseline, passes its
own checks and can be onboarded at once (with ``tenant.toml``), ready for the rule author
to fill in. It writes every file docs/rule-authors.md lists."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from nguon.clock import today_in_vietnam

MANIFEST = """\
# {province}: rules package over the national baseline. Fill in the guidance document,
# then add clauses (clauses.toml), rules (rules.toml) and cases (cases/*.yaml).
id = "{province}"
title = {title_toml}
extends = "national"

[[document]]
code = "guidance"
number = "(số hiệu hướng dẫn của tỉnh)"
title = "(tên hướng dẫn của tỉnh)"
date = {year}-01-01                     # the day it takes effect
source = "(nơi ban hành, đường dẫn)"
confidence = "L"

[[version]]
id = "{year}.1"
valid_from = {year}-01-01
documents = ["guidance"]                # the texts in force: rules may cite only these

# A parameter of the province, dated: each value has its days, source and confidence.
# When the guidance changes a value, end the old one (valid_to) and add the next; to
# change a baseline parameter, give its name with override = true.
# [[parameter]]
# name = "certificate_validity_months"
# override = true
# [[parameter.value]]
# value = 60
# valid_from = 2021-07-30
# valid_to = {next_year}-01-01
# reference = "Hướng dẫn 06-HD/TW mục 5.4"
# confidence = "M"
# [[parameter.value]]
# value = 36
# valid_from = {next_year}-01-01
# reference = "(văn bản của tỉnh, mục …)"
# confidence = "H"
"""

CLAUSES = """\
[[clause]]
id = "guidance.lists"
document = "guidance"
ref = "Lập danh sách"
verbatim = false
text = "Chi bộ lập danh sách quần chúng và báo cáo cấp ủy cấp trên trực tiếp."
"""

STRUCTURE = """\
# Unit kinds: label is the full Vietnamese name, short_label the one for charts;
# holds_people: its units keep candidates and members and make the step lists;
# is_cell: a Party cell; signs_as / signer_title: the signature block of its printed lists.
[[unit_kind]]
code = "province_committee"
label = "Ban Thường vụ Tỉnh ủy"
short_label = "Tỉnh ủy"
[[unit_kind]]
code = "organisation_board"
label = "Ban Tổ chức Tỉnh ủy"
short_label = "Ban Tổ chức"
signs_as = "BAN TỔ CHỨC TỈNH ỦY"
signer_title = "TRƯỞNG BAN"
[[unit_kind]]
code = "grassroots_committee"
label = "Đảng ủy cơ sở"
holds_people = true
signs_as = "T/M ĐẢNG ỦY"
signer_title = "BÍ THƯ"
[[unit_kind]]
code = "grassroots_cell"
label = "Chi bộ cơ sở"
holds_people = true
is_cell = true
signs_as = "T/M CHI BỘ"
signer_title = "BÍ THƯ"
[[unit_kind]]
code = "subordinate_cell"
label = "Chi bộ trực thuộc đảng ủy cơ sở"
short_label = "Chi bộ trực thuộc"
holds_people = true
is_cell = true
signs_as = "T/M CHI BỘ"
signer_title = "BÍ THƯ"

[[bloc]]
code = "commune"
label = "Xã, phường"

# Placement: which kind may sit under which (since = "VERSION" when it changes from then on).
[[placement]]
kind = "province_committee"
top = true
[[placement]]
kind = "organisation_board"
parents = ["province_committee"]
[[placement]]
kind = "grassroots_committee"
parents = ["province_committee"]
[[placement]]
kind = "grassroots_cell"
parents = ["province_committee"]
[[placement]]
kind = "subordinate_cell"
parents = ["grassroots_committee"]

# Who organises the Party awareness course (runner_kind: its child unit that runs it,
# such as a political training centre; without one, the organisation board runs it).
[[course_organiser]]
kind = "province_committee"
clause = "guidance.lists"

# Chains: how a list made by a kind travels up; the first that matches wins.
[[chain]]
id = "cell"
kind = "grassroots_cell"
path = ["grassroots_cell", "organisation_board", "province_committee"]
clause = "guidance.lists"
[[chain]]
id = "subordinate_cell"
kind = "subordinate_cell"
path = ["subordinate_cell", "grassroots_committee", "organisation_board", "province_committee"]
clause = "guidance.lists"
[[chain]]
id = "grassroots_committee"
kind = "grassroots_committee"
path = ["grassroots_committee", "organisation_board", "province_committee"]
clause = "guidance.lists"
"""

_COLUMNS = (
    ("seq", "STT"),
    ("full_name", "Họ và tên"),
    ("date_of_birth", "Ngày, tháng, năm sinh"),
    ("sex", "Giới tính"),
    ("education", "Trình độ học vấn"),
    ("unit", "Chi bộ, đảng bộ"),
    ("certificate", "Số, ngày cấp giấy chứng nhận"),
    ("helper", "Đảng viên chính thức giúp đỡ"),
    ("notes", "Ghi chú"),
)
_CELLS = ("grassroots_cell", "subordinate_cell")
_ABOVE = ("grassroots_committee", "organisation_board")
_PERSON = ("seq", "full_name", "date_of_birth", "sex", "education")
_COURSE_TITLE = "quần chúng có đủ điều kiện để giới thiệu tham gia lớp bồi dưỡng nhận thức về Đảng"
_SURVEY_TITLE = (
    "quần chúng để theo dõi, giáo dục, xem xét giới thiệu tham gia lớp bồi dưỡng nhận thức về Đảng"
)
_SOURCES_TITLE = "nguồn kết nạp đảng viên và phân công đảng viên chính thức theo dõi, giúp đỡ"
_FORMS = (
    ("survey", _CELLS, f"Danh sách {_SURVEY_TITLE}", (*_PERSON, "notes")),
    ("survey", _ABOVE, f"Tổng hợp danh sách {_SURVEY_TITLE}", (*_PERSON, "unit", "notes")),
    ("course_nominees", _CELLS, f"Danh sách {_COURSE_TITLE}", (*_PERSON, "notes")),
    (
        "course_nominees",
        _ABOVE,
        f"Tổng hợp danh sách {_COURSE_TITLE}",
        (*_PERSON, "unit", "notes"),
    ),
    (
        "admission_sources",
        _CELLS,
        f"Danh sách {_SOURCES_TITLE}",
        (*_PERSON, "certificate", "helper", "notes"),
    ),
    (
        "admission_sources",
        _ABOVE,
        "Tổng hợp danh sách nguồn kết nạp đảng viên",
        (*_PERSON, "unit", "certificate", "helper", "notes"),
    ),
)


def _toml_list(items: tuple[str, ...]) -> str:
    return json.dumps(list(items), ensure_ascii=False)


def _forms_toml() -> str:
    lines = ['# List forms ("theo Mẫu"): the columns of each step\'s list, per level.']
    for code, header in _COLUMNS:
        lines += [
            "[[column]]",
            f'code = "{code}"',
            f"header = {json.dumps(header, ensure_ascii=False)}",
        ]
    for step, levels, title, columns in _FORMS:
        lines += [
            "",
            "[[form]]",
            f'step = "{step}"',
            f"levels = {_toml_list(levels)}",
            f"title = {json.dumps(title, ensure_ascii=False)}",
            f"columns = {_toml_list(columns)}",
        ]
    # Braces doubled: the text goes through str.format like the other templates.
    return "\n".join(lines).replace("{", "{{").replace("}", "}}") + "\n"


FORMS = _forms_toml()

TENANT = """\
# Onboarding manifest of a province using this package: the province committee, its
# organisation board, one grassroots committee with a cell and one grassroots cell.
# Copy it to tenants/, add the real units (or import them), then
#   nguon tenant onboard tenants/{slug}.toml
# The package is found by its id when its folder is in rules/ or in NGUON_RULES_PATH.
slug = "{slug}"
name = {title_toml}
rules_package = "{province}"

[admin]
username = "admin.{slug}"
full_name = "Quản trị hệ thống Nguồn"
generate_password = true

[[units]]
code = "{slug}"
name = "Tỉnh ủy"
kind = "province_committee"
valid_from = {year}-01-01

[[units.children]]
code = "{slug}.btc"
name = "Ban Tổ chức Tỉnh ủy"
kind = "organisation_board"
valid_from = {year}-01-01

[[units.children]]
code = "{slug}.xa1"
name = "Đảng ủy xã (đặt tên)"
kind = "grassroots_committee"
bloc = "commune"
valid_from = {year}-01-01

[[units.children.children]]
code = "{slug}.xa1.thon1"
name = "Chi bộ thôn (đặt tên)"
kind = "subordinate_cell"
bloc = "commune"
valid_from = {year}-01-01

[[units.children]]
code = "{slug}.cb1"
name = "Chi bộ cơ sở (đặt tên)"
kind = "grassroots_cell"
bloc = "commune"
valid_from = {year}-01-01
"""

CALENDAR = """\
[calendar]
first_year = {year}
annual_survey_quarter = 4
supplement_quarters = [1, 2, 3]
"""

RULES = """\
[[rule]]
id = "unit_does_not_make_lists"
clause = "guidance.lists"
decisions = ["@lists"]
outcome = "needs_review"
message = "Danh sách do chi bộ trực thuộc và chi bộ cơ sở lập."
when = {{ fact = "unit_kind", op = "not_in", value = ["grassroots_cell", "subordinate_cell"] }}
"""

CASES = """\
# Each case checks something (expect, period, chain, deadlines); unknown keys are refused.
cases:
  - name: Quần chúng đủ điều kiện khảo sát
    date: {year}-05-15
    unit: {{kind: grassroots_cell, bloc: commune}}
    candidate: {{date_of_birth: 1995-03-10, education: upper_secondary, political_standard: passed}}
    expect:
      survey_list: {{outcome: eligible, reasons: []}}
    chain: [grassroots_cell, organisation_board, province_committee]
"""

FILES = (
    ("manifest.toml", MANIFEST),
    ("clauses.toml", CLAUSES),
    ("structure.toml", STRUCTURE),
    ("calendar.toml", CALENDAR),
    ("forms.toml", FORMS),
    ("rules.toml", RULES),
    ("cases/first.yaml", CASES),
    ("tenant.toml", TENANT),
)
"""Every file the scaffold writes (docs/rule-authors.md lists the same)."""


def has_diacritics(text: str) -> bool:
    return any(ch != unicodedata.normalize("NFD", ch)[:1] or ch in "đĐ" for ch in text)


def scaffold_package(province: str, root: Path, title: str, year: int | None = None) -> Path:
    """Write a new package ``province`` under ``root``; ``title`` is its Vietnamese name
    ("Tỉnh Thái Bình — Hướng dẫn …"), kept as written (NFC)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", province):
        raise ValueError("a package id is lowercase letters, digits and '_' (e.g. thaibinh)")
    title = unicodedata.normalize("NFC", (title or "").strip())
    if not title:
        raise ValueError('give the package a title: --title "Tỉnh Thái Bình"')
    folder = root / province
    if folder.exists():
        raise FileExistsError(f"{folder} exists already")
    year = year or today_in_vietnam().year
    values = {
        "province": province,
        "slug": province.replace("_", "-"),
        "title_toml": json.dumps(title, ensure_ascii=False),
        "year": year,
        "next_year": year + 1,
    }
    (folder / "cases").mkdir(parents=True)
    for name, template in FILES:
        (folder / name).write_text(template.format(**values), encoding="utf-8")
    return folder
