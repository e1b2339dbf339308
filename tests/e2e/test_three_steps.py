"""The three steps of 06-HD/BTCTU in Hưng Yên, end to end through the JSON API.

Three people walk from the survey to the admission procedure in 2024:

- Đặng Quốc Việt and Nguyễn Thị Hằng, of the neighbourhood cell no. 1 of the Như Quỳnh
  township committee, Văn Lâm district; Việt's birth year was typed wrong, so the
  township gives the cell's first list back and the cell corrects it;
- Lê Minh Tuấn, of the Major Crimes team cell of the Criminal Police department, under the
  Police committee.

Every list goes up its reporting chain to the provincial organisation board and the
provincial standing committee; every level's inbox and the counts per unit below are
checked on the way. The district's political training centre and the Police committee
(through the organisation board: it has no centre) run the courses, the cells assign
helpers by resolution, and one candidate is proposed for admission. One accepted list is
exported as the province's XLSX form and read back. The audit log holds every state
change of every list, with who made it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from importlib.metadata import entry_points
from io import BytesIO
from typing import Any

from nguon_list_forms_xlsx.layout import FIRST_DATA_ROW, HEADER_ROW
from openpyxl import load_workbook

from nguon.audit.tables import AuditEvent
from nguon.pipeline.tables import CandidateList, HelperAssignment
from nguon.rules import load_package
from nguon.rules.facts import add_months
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.e2e.conftest import (
    BOARD,
    DISTRICT,
    DISTRICT_CENTRE,
    NEIGHBOURHOOD_CELL,
    POLICE,
    POLICE_CELL,
    POLICE_DEPARTMENT,
    PROVINCE,
    TOWNSHIP,
    Api,
    Province,
    onboard_hungyen,
)
from tests.http.conftest import AppClient

SURVEY, NOMINEES, SOURCES = "survey", "course_nominees", "admission_sources"
# The 2024 calendar: the first review in Q2, a supplement in Q3, the annual survey in Q4.
FIRST_REVIEW, SUPPLEMENT, ANNUAL = "2024-Q2", "2024-Q3", "2024-annual"

# Each branch from the cell up to the committee that reports to the organisation board,
# with the officer who acts for each level.
DISTRICT_BRANCH = (
    (NEIGHBOURHOOD_CELL, "bithu.tdp1"),
    (TOWNSHIP, "duy.nhuquynh"),
    (DISTRICT, "huyenuy.vanlam"),
)
POLICE_BRANCH = (
    (POLICE_CELL, "bithu.trongan"),
    (POLICE_DEPARTMENT, "duy.pc02"),
    (POLICE, "thuongvu.ca"),
)
BOARD_OFFICER = "btc.tinhuy"
STANDING_COMMITTEE = "thuongtruc.tinhuy"
STATE_ACTIONS = {"list_created", "list_adopted", "list_submitted", "list_returned"}
STATE_ACTIONS |= {"list_accepted", "list_reopened"}


class Story:
    """What the committees do, each as one call of the API."""

    def __init__(self, api: Api, province: Province) -> None:
        self.api = api
        self.province = province
        self.resolutions = 0

    def unit(self, code: str) -> int:
        return self.province.units[code]

    async def draw_up(self, officer: str, unit: str, step: str, period: str) -> dict[str, Any]:
        """A unit draws up its list for a step and period (prefilled by the rules and from
        the lists it accepted)."""
        body = {"unit_id": self.unit(unit), "step": step, "period": period}
        return await self.api.ok(officer, "POST", "/lists", json=body)

    async def read(self, officer: str, list_id: int) -> dict[str, Any]:
        return await self.api.ok(officer, "GET", f"/lists/{list_id}")

    async def adopt(self, officer: str, list_id: int, on: str) -> dict[str, Any]:
        """The cell or committee meets and adopts the list by a resolution."""
        self.resolutions += 1
        version = (await self.read(officer, list_id))["list"]["version"]
        resolution = {
            "number": f"{self.resolutions:02d}-NQ",
            "adopted_on": on,
            "members_total": 9,
            "members_present": 8,
            "members_agreeing": 8,
        }
        return await self.api.ok(
            officer,
            "POST",
            f"/lists/{list_id}/adopt",
            json={"version": version, "resolution": resolution},
        )

    async def submit(self, officer: str, list_id: int) -> dict[str, Any]:
        version = (await self.read(officer, list_id))["list"]["version"]
        return await self.api.ok(
            officer, "POST", f"/lists/{list_id}/submit", json={"version": version}
        )

    async def inbox(self, officer: str) -> set[int]:
        return {item["id"] for item in (await self.api.ok(officer, "GET", "/lists/inbox"))["items"]}

    async def accept(self, officer: str, list_id: int) -> dict[str, Any]:
        version = (await self.read(officer, list_id))["list"]["version"]
        return await self.api.ok(
            officer, "POST", f"/lists/{list_id}/accept", json={"version": version}
        )

    async def give_back(self, officer: str, list_id: int, comment: str) -> dict[str, Any]:
        version = (await self.read(officer, list_id))["list"]["version"]
        return await self.api.ok(
            officer,
            "POST",
            f"/lists/{list_id}/return",
            json={"version": version, "comment": comment},
        )

    def counts(self, detail: dict[str, Any]) -> dict[str, int]:
        """Included people per unit the list's people came from (by unit code)."""
        return {self.province.code_of(c["unit_id"]): c["count"] for c in detail["counts_by_unit"]}

    async def send_up_the_branch(
        self, branch: tuple[tuple[str, str], ...], cell_list: int, step: str, period: str, on: str
    ) -> dict[str, int]:
        """From a cell's submitted list up to the committee that reports to the board:
        each level finds the list below in its inbox, accepts it, draws up its own list
        (which holds exactly the people below) and adopts and submits it."""
        lists = {branch[0][0]: cell_list}
        made = await self.read(branch[0][1], cell_list)
        expected = made["list"]["included_count"]
        assert self.counts(made) == {branch[0][0]: expected}
        for (lower, _), (upper, officer) in itertools.pairwise(branch):
            assert await self.inbox(officer) == {lists[lower]}
            await self.accept(officer, lists[lower])
            assert await self.inbox(officer) == set()
            made = await self.draw_up(officer, upper, step, period)
            assert self.counts(made) == {lower: expected}
            assert made["list"]["included_count"] == expected
            assert made["refused"] == [] and made["removed"] == []
            lists[upper] = made["list"]["id"]
            await self.adopt(officer, lists[upper], on)
            sent = await self.submit(officer, lists[upper])
            assert sent["list"]["state"] == "submitted"
        assert sent["list"]["receiver_unit_id"] == self.unit(BOARD)
        return lists

    async def board_reports_to_the_province(
        self, step: str, period: str, from_district: int, from_police: int, on: str
    ) -> int:
        """The organisation board accepts both branches' lists, aggregates them, and the
        provincial standing committee accepts the board's list."""
        assert await self.inbox(BOARD_OFFICER) == {from_district, from_police}
        for list_id in (from_district, from_police):
            accepted = await self.accept(BOARD_OFFICER, list_id)
            assert accepted["list"]["state"] == "accepted"
        board = await self.draw_up(BOARD_OFFICER, BOARD, step, period)
        assert self.counts(board) == {DISTRICT: 2, POLICE: 1}
        assert board["list"]["receiver_unit_id"] == self.unit(PROVINCE)
        board_id = board["list"]["id"]
        await self.adopt(BOARD_OFFICER, board_id, on)
        await self.submit(BOARD_OFFICER, board_id)
        assert await self.inbox(STANDING_COMMITTEE) == {board_id}
        final = await self.accept(STANDING_COMMITTEE, board_id)
        assert final["list"]["state"] == "accepted" and final["list"]["included_count"] == 3
        assert await self.inbox(STANDING_COMMITTEE) == set()
        return board_id

    async def cell_makes_and_sends(
        self, branch: tuple[tuple[str, str], ...], step: str, period: str, on: str
    ) -> dict[str, Any]:
        cell, secretary = branch[0]
        made = await self.draw_up(secretary, cell, step, period)
        assert made["list"]["receiver_unit_id"] == self.unit(branch[1][0])
        await self.adopt(secretary, made["list"]["id"], on)
        return await self.submit(secretary, made["list"]["id"])


def names(detail: dict[str, Any]) -> list[str]:
    return [entry["full_name"] for entry in detail["entries"]]


async def person(api: Api, officer: str, unit_id: int, name: str, **fields: Any) -> dict:
    body = {
        "unit_id": unit_id,
        "full_name": name,
        "sex": "male",
        "education": "upper_secondary",
        "political_standard": "passed",
        "ethnicity": "Kinh",
        "youth_union_member": True,
        # Distinct texts in every column, so a form that swaps two columns shows it.
        "home_town": f"Quê quán của {name}",
        "residence": f"Nơi cư trú của {name}",
        "occupation": f"Nghề nghiệp của {name}",
        "religion": "Phật giáo",
        **fields,
    }
    return await api.ok(officer, "POST", "/candidates", json=body)


def form_cells(seq: int, person: dict[str, Any], entry: dict[str, Any], helper: str) -> dict:
    """What each column code of a printed form shows for one person, from what was entered
    (an empty cell reads back as None)."""
    born = dt.date.fromisoformat(person["date_of_birth"])
    certified = person["certificate_date"] and dt.date.fromisoformat(person["certificate_date"])
    cells = {
        "seq": seq,
        "full_name": person["full_name"],
        "date_of_birth": dt.datetime(born.year, born.month, born.day),
        "sex": {"male": "Nam", "female": "Nữ"}[person["sex"]],
        "ethnicity": person["ethnicity"],
        "religion": person["religion"],
        "home_town": person["home_town"],
        "residence": person["residence"],
        "education": {"upper_secondary": "Trung học phổ thông", "university": "Đại học"}[
            person["education"]
        ],
        "occupation": person["occupation"],
        "youth_union": "x" if person["youth_union_member"] else None,
        "trade_union": "x" if person["trade_union_member"] else None,
        "unit": entry["unit_name"],
        "helper": helper,
        "certificate": certified
        and f"Số {person['certificate_number']}, ngày {certified:%d/%m/%Y}",
        "notes": None,
    }
    return {code: value if value != "" else None for code, value in cells.items()}


def test_every_column_of_every_bundled_form_has_its_expected_cell() -> None:
    bundled = [point.name for point in entry_points(group="nguon.rules")]
    assert {"national", "hungyen"} <= set(bundled)
    codes = {
        code
        for package_id in bundled
        for spec, _ in load_package(package_id).forms
        for code in spec.columns
    }
    known = form_cells(1, _SAMPLE, {"unit_name": "Chi bộ"}, "")
    assert codes <= known.keys(), f"add the expected cell of {codes - known.keys()} above"


_SAMPLE = {
    "full_name": "Mẫu",
    "date_of_birth": "2000-01-01",
    "sex": "male",
    "ethnicity": "Kinh",
    "religion": "Không",
    "home_town": "",
    "residence": "",
    "education": "university",
    "occupation": "",
    "youth_union_member": False,
    "trade_union_member": False,
    "certificate_date": None,
    "certificate_number": None,
}


async def member(api: Api, officer: str, unit_id: int, name: str) -> int:
    body = {
        "unit_id": unit_id,
        "full_name": name,
        "date_of_birth": "1975-04-12",
        "sex": "male",
        "admitted_on": "2001-05-19",
        "official_on": "2002-05-19",
    }
    return (await api.ok(officer, "POST", "/members", json=body))["id"]


async def test_three_people_walk_the_three_steps_up_both_chains_of_hung_yen(
    db: Database, client: AppClient
) -> None:
    province = await onboard_hungyen(db)
    api = Api(client, province)
    story = Story(api, province)
    cell, police_cell = story.unit(NEIGHBOURHOOD_CELL), story.unit(POLICE_CELL)

    hang = await person(
        api, "bithu.tdp1", cell, "Nguyễn Thị Hằng", sex="female", date_of_birth="2001-02-05"
    )
    viet = await person(api, "bithu.tdp1", cell, "Đặng Quốc Việt", date_of_birth="2009-11-25")
    tuan = await person(
        api, "bithu.trongan", police_cell, "Lê Minh Tuấn", date_of_birth="1998-08-19"
    )

    # --- Step 1: the survey, first review of 2024 (Q2) -------------------------------------
    first = await story.draw_up("bithu.tdp1", NEIGHBOURHOOD_CELL, SURVEY, FIRST_REVIEW)
    cell_survey = first["list"]["id"]
    assert (first["list"]["period_opens"], first["list"]["period_deadline"]) == (
        "2024-04-01",
        "2024-06-30",
    )
    assert names(first) == ["Nguyễn Thị Hằng"]
    [too_young] = first["refused"]
    assert too_young["candidate_id"] == viet["id"]
    assert too_young["reasons"][0]["code"] == "age_below_minimum"
    await story.adopt("bithu.tdp1", cell_survey, "2024-06-10")
    await story.submit("bithu.tdp1", cell_survey)

    # The township gives it back: Việt was born in 1999, not 2009.
    assert await story.inbox("duy.nhuquynh") == {cell_survey}
    returned = await story.give_back(
        "duy.nhuquynh",
        cell_survey,
        "Đồng chí Đặng Quốc Việt sinh năm 1999; đề nghị sửa ngày sinh và rà soát lại.",
    )
    assert returned["list"]["state"] == "returned"
    assert await story.inbox("duy.nhuquynh") == set()
    mine = await story.read("bithu.tdp1", cell_survey)
    assert mine["list"]["return_comment"].startswith("Đồng chí Đặng Quốc Việt sinh năm 1999")
    assert mine["allowed_actions"] == ["edit", "adopt"]

    # The cell corrects the record, applies the rules again, adopts and resubmits.
    await api.ok(
        "bithu.tdp1",
        "PATCH",
        f"/candidates/{viet['id']}",
        json={"version": viet["version"], "date_of_birth": "1999-11-25"},
    )
    refreshed = await api.ok(
        "bithu.tdp1",
        "POST",
        f"/lists/{cell_survey}/refresh",
        json={"version": mine["list"]["version"]},
    )
    assert names(refreshed) == ["Đặng Quốc Việt", "Nguyễn Thị Hằng"]
    assert refreshed["refused"] == []
    await story.adopt("bithu.tdp1", cell_survey, "2024-06-20")
    resent = await story.submit("bithu.tdp1", cell_survey)
    assert resent["list"]["included_count"] == 2
    assert [(t["from_state"], t["to_state"], t["actor"]) for t in resent["transitions"]] == [
        ("", "draft", "bithu.tdp1"),
        ("draft", "adopted", "bithu.tdp1"),
        ("adopted", "submitted", "bithu.tdp1"),
        ("submitted", "returned", "duy.nhuquynh"),
        ("returned", "adopted", "bithu.tdp1"),
        ("adopted", "submitted", "bithu.tdp1"),
    ]
    assert [r["number"] for r in resent["resolutions"]] == ["01-NQ", "02-NQ"]

    district = await story.send_up_the_branch(
        DISTRICT_BRANCH, cell_survey, SURVEY, FIRST_REVIEW, "2024-06-25"
    )
    police_survey = await story.cell_makes_and_sends(
        POLICE_BRANCH, SURVEY, FIRST_REVIEW, "2024-06-12"
    )
    assert names(police_survey) == ["Lê Minh Tuấn"]
    police = await story.send_up_the_branch(
        POLICE_BRANCH, police_survey["list"]["id"], SURVEY, FIRST_REVIEW, "2024-06-25"
    )
    await story.board_reports_to_the_province(
        SURVEY, FIRST_REVIEW, district[DISTRICT], police[POLICE], "2024-06-28"
    )

    # --- Step 2: course nominees (Q3 supplement), the courses, the certificates ------------
    nominees = await story.cell_makes_and_sends(DISTRICT_BRANCH, NOMINEES, SUPPLEMENT, "2024-09-05")
    assert names(nominees) == ["Đặng Quốc Việt", "Nguyễn Thị Hằng"]
    district_nominees = await story.send_up_the_branch(
        DISTRICT_BRANCH, nominees["list"]["id"], NOMINEES, SUPPLEMENT, "2024-09-12"
    )
    police_nominees = await story.cell_makes_and_sends(
        POLICE_BRANCH, NOMINEES, SUPPLEMENT, "2024-09-06"
    )
    police_nominee_lists = await story.send_up_the_branch(
        POLICE_BRANCH, police_nominees["list"]["id"], NOMINEES, SUPPLEMENT, "2024-09-12"
    )
    await story.board_reports_to_the_province(
        NOMINEES,
        SUPPLEMENT,
        district_nominees[DISTRICT],
        police_nominee_lists[POLICE],
        "2024-09-20",
    )

    package = load_package("hungyen")
    district_course = await api.ok(
        "huyenuy.vanlam",
        "POST",
        "/courses",
        json={
            "organiser_unit_id": story.unit(DISTRICT),
            "title": "Lớp bồi dưỡng nhận thức về Đảng khóa III năm 2024",
            "opens_on": "2024-10-01",
            "closes_on": "2024-10-10",
            "sessions_total": 8,
        },
    )
    assert district_course["run_by"] == "political_training_centre"
    assert district_course["training_centre_id"] == story.unit(DISTRICT_CENTRE)
    police_course = await api.ok(
        "thuongvu.ca",
        "POST",
        "/courses",
        json={
            "organiser_unit_id": story.unit(POLICE),
            "title": "Lớp bồi dưỡng nhận thức về Đảng Công an tỉnh năm 2024",
            "opens_on": "2024-10-07",
            "closes_on": "2024-10-11",
            "sessions_total": 5,
        },
    )
    assert police_course["run_by"] == "organisation_board"
    assert police_course["training_centre_id"] is None

    certificates = {
        hang["id"]: ("huyenuy.vanlam", district_course, "GCN-VL-2024-015", "2024-10-15"),
        viet["id"]: ("huyenuy.vanlam", district_course, "GCN-VL-2024-016", "2024-10-15"),
        tuan["id"]: ("thuongvu.ca", police_course, "GCN-CA-2024-003", "2024-10-14"),
    }
    for candidate_id, (officer, course, number, issued) in certificates.items():
        course_url = f"/courses/{course['id']}"
        enrolled = await api.ok(
            officer, "POST", f"{course_url}/enrolments", json={"candidate_id": candidate_id}
        )
        assert enrolled["candidate_stage"] == "course_nominee"
        assert enrolled["source_list_id"] is not None
        attended = await api.ok(
            officer,
            "PATCH",
            f"{course_url}/enrolments/{enrolled['id']}",
            json={
                "version": enrolled["version"],
                "attended_sessions": course["sessions_total"],
                "completed": True,
            },
        )
        certified = await api.ok(
            officer,
            "POST",
            f"{course_url}/enrolments/{enrolled['id']}/certificate",
            json={"version": attended["version"], "number": number, "date": issued},
        )
        day = dt.date.fromisoformat(issued)
        months = int(package.parameter("certificate_validity_months", day))
        assert certified["certificate_number"] == number
        assert certified["certificate_date"] == issued
        assert certified["certificate_valid_until"] == add_months(day, months).isoformat()
        assert certified["candidate_stage"] == "certified"
    # Each enrolment came from an accepted course-nominee list in the organiser's branch.
    course_lists = {**district_nominees, **police_nominee_lists}
    for officer, course, expected in (
        ("huyenuy.vanlam", district_course, {viet["id"], hang["id"]}),
        ("thuongvu.ca", police_course, {tuan["id"]}),
    ):
        detail = await api.ok(officer, "GET", f"/courses/{course['id']}")
        assert detail["course"]["enrolled"] == len(expected)
        assert {e["candidate_id"] for e in detail["enrolments"]} == expected
        for enrolment in detail["enrolments"]:
            assert enrolment["completed"] and enrolment["certificate_number"]
            assert enrolment["attended_sessions"] == course["sessions_total"]
            assert enrolment["source_list_id"] in course_lists.values()

    # --- Step 3: admission sources (annual survey), helpers by resolution ------------------
    helpers = {
        hang["id"]: ("bithu.tdp1", await member(api, "bithu.tdp1", cell, "Trần Thị Thu")),
        viet["id"]: ("bithu.tdp1", await member(api, "bithu.tdp1", cell, "Bùi Văn Toàn")),
        tuan["id"]: (
            "bithu.trongan",
            await member(api, "bithu.trongan", police_cell, "Đinh Công Sơn"),
        ),
    }
    second_introducer = await member(api, "bithu.tdp1", cell, "Lương Văn Thành")
    for candidate_id, (secretary, member_id) in helpers.items():
        current = await api.ok(secretary, "GET", f"/candidates/{candidate_id}")
        assigned = await api.ok(
            secretary,
            "POST",
            "/helpers",
            json={
                "candidate_id": candidate_id,
                "member_id": member_id,
                "candidate_version": current["version"],
                "resolution": {
                    "number": f"{candidate_id}-NQ/PC",
                    "adopted_on": "2024-11-05",
                    "members_total": 9,
                    "members_present": 9,
                    "members_agreeing": 9,
                },
            },
        )
        assert assigned["member_id"] == member_id and assigned["assigned_on"] == "2024-11-05"
        # A helper alone does not make an admission source: the accepted Step 3 list does.
        after = await api.ok(secretary, "GET", f"/candidates/{candidate_id}")
        assert after["stage"] == "certified"
    with tenant_context(province.tenant_id):
        assignments = await (
            HelperAssignment.select()
            .where(in_tenant(HelperAssignment))
            .order_by(HelperAssignment.id)
            .run()
        )
    assert {(a["candidate"], a["member"]) for a in assignments} == {
        (candidate_id, member_id) for candidate_id, (_, member_id) in helpers.items()
    }
    assert all(a["resolution"] and a["ended_on"] is None for a in assignments)

    sources = await story.cell_makes_and_sends(DISTRICT_BRANCH, SOURCES, ANNUAL, "2024-11-20")
    assert names(sources) == ["Đặng Quốc Việt", "Nguyễn Thị Hằng"]
    district_sources = await story.send_up_the_branch(
        DISTRICT_BRANCH, sources["list"]["id"], SOURCES, ANNUAL, "2024-11-28"
    )
    police_sources = await story.cell_makes_and_sends(POLICE_BRANCH, SOURCES, ANNUAL, "2024-11-21")
    assert names(police_sources) == ["Lê Minh Tuấn"]
    police_source_lists = await story.send_up_the_branch(
        POLICE_BRANCH, police_sources["list"]["id"], SOURCES, ANNUAL, "2024-11-28"
    )
    await story.board_reports_to_the_province(
        SOURCES, ANNUAL, district_sources[DISTRICT], police_source_lists[POLICE], "2024-12-05"
    )
    for candidate_id, (secretary, _) in helpers.items():
        source = await api.ok(secretary, "GET", f"/candidates/{candidate_id}")
        assert source["stage"] == "admission_source"

    # The district's accepted list as the province's form, read back.
    district_list = await story.read("huyenuy.vanlam", district_sources[DISTRICT])
    assert district_list["list"]["state"] == "accepted"
    exported = await api.call(
        "huyenuy.vanlam", "GET", f"/lists/{district_sources[DISTRICT]}/export?format=xlsx"
    )
    assert exported.status_code == 200, exported.text
    sheet = load_workbook(BytesIO(exported.content)).worksheets[0]
    form = package.form(SOURCES, "district_committee", dt.date(2024, 10, 1))
    headers = [c.header for c in form.columns]
    assert [cell.value for cell in sheet[HEADER_ROW]][: len(headers)] == headers
    assert sheet.cell(HEADER_ROW, len(headers) + 1).value is None
    rows = [
        row
        for row in sheet.iter_rows(min_row=FIRST_DATA_ROW, max_col=len(headers), values_only=True)
    ]
    rows = rows[: next((i for i, r in enumerate(rows) if not any(r)), len(rows))]
    by_header = [dict(zip(headers, row, strict=True)) for row in rows]
    assert [r["Họ và tên"] for r in by_header] == names(district_list)
    assert [r["STT"] for r in by_header] == [1, 2]
    assert [r["Đảng viên chính thức giúp đỡ"] for r in by_header] == [
        "Bùi Văn Toàn",
        "Trần Thị Thu",
    ]
    assert by_header[1]["Số, ngày cấp giấy chứng nhận"] == "Số GCN-VL-2024-015, ngày 15/10/2024"
    helper_names = ["Bùi Văn Toàn", "Trần Thị Thu"]
    for seq, (row, entry) in enumerate(zip(by_header, district_list["entries"], strict=True), 1):
        entered = await api.ok("huyenuy.vanlam", "GET", f"/candidates/{entry['candidate_id']}")
        shown = {column.code: row[column.header] for column in form.columns}
        assert shown == form_cells(seq, entered, entry, helper_names[seq - 1])

    # Hằng is proposed for admission, introduced by her helper and a second official member.
    current = await api.ok("bithu.tdp1", "GET", f"/candidates/{hang['id']}")
    proposed = await api.ok(
        "bithu.tdp1",
        "POST",
        f"/candidates/{hang['id']}/propose-admission",
        json={
            "version": current["version"],
            "introducer_member_ids": [helpers[hang["id"]][1], second_introducer],
            "on": "2024-12-20",
            "note": "Nghị quyết chi bộ số 09-NQ/CB đề nghị kết nạp",
        },
    )
    assert proposed["stage"] == "admission_in_progress"
    stages = await api.ok("bithu.tdp1", "GET", f"/candidates/{hang['id']}/stages")
    assert [s["to_stage"] for s in stages["items"]] == [
        "course_nominee",
        "certified",
        "admission_source",
        "admission_in_progress",
    ]
    assert "Trần Thị Thu" in stages["items"][-1]["reason"]
    for other in (viet, tuan):
        unchanged = await api.ok("thuongtruc.tinhuy", "GET", f"/candidates/{other['id']}")
        assert unchanged["stage"] == "admission_source"

    # --- The audit log: every state change of every list, with its actor ------------------
    with tenant_context(province.tenant_id):
        list_ids = [
            r["id"]
            for r in await CandidateList.select(CandidateList.id)
            .where(in_tenant(CandidateList))
            .order_by(CandidateList.id)
            .run()
        ]
        events = await (
            AuditEvent.select(AuditEvent.entity_id, AuditEvent.action, AuditEvent.actor)
            .where(in_tenant(AuditEvent), AuditEvent.entity_type == "candidate_list")
            .order_by(AuditEvent.id)
            .run()
        )
    # Seven lists a step: two cells, the township, the Police department, the district,
    # the Police committee and the organisation board.
    assert len(list_ids) == 21
    for list_id in list_ids:
        transitions = (await story.read(STANDING_COMMITTEE, list_id))["transitions"]
        expected = [
            ("list_created" if not t["from_state"] else f"list_{t['to_state']}", t["actor"])
            for t in transitions
        ]
        audited = [
            (e["action"], e["actor"])
            for e in events
            if e["entity_id"] == list_id and e["action"] in STATE_ACTIONS
        ]
        assert audited == expected, list_id
        assert transitions[-1]["to_state"] == "accepted"
