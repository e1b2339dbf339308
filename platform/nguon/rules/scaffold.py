"""``nguon rules new``: a province package that extends the national baseline and passes
its own checks, ready for the rule author to fill in."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

MANIFEST = """\
# {province}: rules package over the national baseline. Fill in the guidance document,
# then add clauses (clauses.toml), rules (rules.toml) and cases (cases/*.yaml).
id = "{province}"
title = "{title}"
extends = "national"

[[document]]
code = "guidance"
number = "(số hiệu hướng dẫn của tỉnh)"
title = "(tên hướng dẫn của tỉnh)"
source = "(nơi ban hành, đường dẫn)"
confidence = "L"

[[version]]
id = "{year}.1"
valid_from = {year}-01-01
documents = ["guidance"]
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

# Placement: which kind may sit under which (add versions = [...] when it changes).
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
cases:
  - name: Quần chúng đủ điều kiện khảo sát
    date: {year}-05-15
    unit: {{kind: grassroots_cell, bloc: commune}}
    candidate: {{date_of_birth: 1995-03-10, education: upper_secondary, political_standard: passed}}
    expect:
      survey_list: {{outcome: eligible, reasons: []}}
    chain: [grassroots_cell, organisation_board, province_committee]
"""


def scaffold_package(
    province: str, root: Path, title: str | None = None, year: int | None = None
) -> Path:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", province):
        raise ValueError("a package id is lowercase letters, digits and '_' (e.g. thaibinh)")
    folder = root / province
    if folder.exists():
        raise FileExistsError(f"{folder} exists already")
    year = year or date.today().year
    values = {"province": province, "title": title or f"Tỉnh {province}", "year": year}
    (folder / "cases").mkdir(parents=True)
    for name, template in (
        ("manifest.toml", MANIFEST),
        ("clauses.toml", CLAUSES),
        ("structure.toml", STRUCTURE),
        ("calendar.toml", CALENDAR),
        ("rules.toml", RULES),
        ("cases/first.yaml", CASES),
    ):
        (folder / name).write_text(template.format(**values), encoding="utf-8")
    return folder
