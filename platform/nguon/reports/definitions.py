"""Every figure a page shows, defined once: its Vietnamese label and the one sentence that
says what it counts. Pages print these as their legend; ``nguon.reports.figures`` computes
exactly what the sentences say.

Two kinds of figure:
- *on a day* (số có mặt): where people stand on the figures' day — the last day of the
  period, today while it runs, a closed unit's last day;
- *in a period* (số phát sinh): what happened on a date inside the period, each person
  counted once per figure.
Each person is counted at exactly one unit: their unit on that day (for a figure in a
period, on the day it happened) in the tree of that day, so a unit's figure is its own
plus the sum of its sub-units'.
"""

from __future__ import annotations

import msgspec


class Definition(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    definition: str


PIPELINE_STAGES: tuple[str, ...] = (
    "surveyed",
    "course_nominee",
    "certified",
    "admission_source",
    "admission_in_progress",
)
"""The stages of a person still in the source, in order."""

FLOWS: tuple[str, ...] = ("added", "certificates", "proposed", "admitted", "removed")
"""The figures of what happened in a period."""

STEPS: tuple[str, ...] = ("survey", "course_nominees", "admission_sources")

AS_OF = Definition(
    key="as_of",
    label="Ngày tính số liệu",
    definition=(
        "Ngày cuối của kỳ đã qua, hoặc hôm nay nếu kỳ chưa kết thúc; với đơn vị đã kết thúc "
        "hoạt động, ngày hoạt động cuối cùng của đơn vị."
    ),
)
COUNTED_AT = Definition(
    key="counted_at",
    label="Tính ở đơn vị nào",
    definition=(
        "Mỗi người được tính ở đúng một đơn vị: đơn vị của người đó vào ngày tính số liệu "
        "(số phát sinh: vào ngày phát sinh), theo cây tổ chức của ngày đó; số của một đơn vị "
        "bằng số của chính nó cộng số của các đơn vị trực thuộc."
    ),
)

DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in (
        Definition(
            key="surveyed",
            label="Khảo sát",
            definition=(
                "Người trong nguồn ở bước khảo sát (bước 1), chưa được giới thiệu học lớp "
                "bồi dưỡng nhận thức về Đảng, vào ngày tính số liệu."
            ),
        ),
        Definition(
            key="course_nominee",
            label="Dự kiến học lớp nhận thức",
            definition=(
                "Người đã được đưa vào danh sách dự kiến học lớp bồi dưỡng nhận thức về Đảng "
                "(bước 2), chưa có giấy chứng nhận, vào ngày tính số liệu."
            ),
        ),
        Definition(
            key="certified",
            label="Đã có giấy chứng nhận",
            definition=(
                "Người đã có giấy chứng nhận học lớp, chưa được đưa vào nguồn kết nạp, "
                "vào ngày tính số liệu."
            ),
        ),
        Definition(
            key="admission_source",
            label="Nguồn kết nạp",
            definition=(
                "Người trong danh sách nguồn kết nạp (bước 3), chưa được đề nghị kết nạp, "
                "vào ngày tính số liệu."
            ),
        ),
        Definition(
            key="admission_in_progress",
            label="Đang làm thủ tục kết nạp",
            definition=(
                "Người đã được đề nghị kết nạp, chưa có quyết định kết nạp hay đưa ra khỏi "
                "nguồn, vào ngày tính số liệu."
            ),
        ),
        Definition(
            key="in_source",
            label="Đang trong nguồn",
            definition=(
                "Tổng số người ở năm bước trên (từ khảo sát đến đang làm thủ tục kết nạp) vào "
                "ngày tính số liệu; không gồm người đã kết nạp hoặc đã đưa ra khỏi nguồn."
            ),
        ),
        Definition(
            key="with_helper",
            label="Có đảng viên giúp đỡ",
            definition=(
                "Người đang trong nguồn có đảng viên chính thức được phân công giúp đỡ, còn "
                "hiệu lực vào ngày tính số liệu."
            ),
        ),
        Definition(
            key="in_course",
            label="Đang học lớp nhận thức",
            definition=(
                "Người đang trong nguồn có tên trong một lớp bồi dưỡng nhận thức về Đảng đang "
                "học vào ngày tính số liệu."
            ),
        ),
        Definition(
            key="added",
            label="Đưa vào nguồn trong kỳ",
            definition=(
                "Người có ngày vào nguồn trong kỳ: ngày lập hồ sơ, hoặc ngày sớm hơn nếu hồ "
                "sơ ghi sự việc trước đó (chuyển bước, có tên trong danh sách của kỳ đã qua)."
            ),
        ),
        Definition(
            key="certificates",
            label="Được cấp giấy chứng nhận trong kỳ",
            definition=(
                "Người được cấp giấy chứng nhận học lớp lần đầu trong năm với ngày cấp trong "
                "kỳ (mỗi người tính một lần)."
            ),
        ),
        Definition(
            key="proposed",
            label="Đề nghị kết nạp trong kỳ",
            definition=(
                "Người được chuyển sang «đang làm thủ tục kết nạp» lần đầu trong năm với ngày "
                "trong kỳ (mỗi người tính một lần)."
            ),
        ),
        Definition(
            key="admitted",
            label="Kết nạp trong kỳ",
            definition=(
                "Người có quyết định kết nạp vào Đảng với ngày trong kỳ (mỗi người tính một "
                "lần); số của năm bằng tổng bốn quý."
            ),
        ),
        Definition(
            key="removed",
            label="Đưa ra khỏi nguồn trong kỳ",
            definition=(
                "Người bị đưa ra khỏi nguồn lần đầu trong năm với ngày trong kỳ (mỗi người "
                "tính một lần)."
            ),
        ),
        Definition(
            key="on_list",
            label="Có tên trong danh sách",
            definition=(
                "Số người (mỗi người một lần) có tên, không bị loại, trong danh sách của bước "
                "đó của kỳ rà soát do đơn vị lập; người cấp trên tổng hợp từ danh sách cấp "
                "dưới được tính ở đơn vị của người đó khi vào danh sách, không tính hai lần; "
                "người có tên trong danh sách của hai đơn vị (đã chuyển sinh hoạt) được tính ở "
                "lần ghi tên sau cùng."
            ),
        ),
        Definition(
            key="expected_lists",
            label="Đơn vị phải lập danh sách",
            definition=("Đơn vị quản lý quần chúng có hoạt động trong thời gian của kỳ rà soát."),
        ),
        Definition(
            key="submitted_lists",
            label="Đã nộp",
            definition=(
                "Đơn vị phải lập danh sách mà đến hôm nay đã nộp danh sách của kỳ lên cấp "
                "trên (đang chờ hoặc đã được tiếp nhận)."
            ),
        ),
        Definition(
            key="late_lists",
            label="Quá hạn",
            definition=(
                "Đơn vị phải lập danh sách mà đến hôm nay, đã qua hạn nộp, vẫn chưa nộp; "
                "ghi kèm tên đơn vị cấp trên để phân biệt các đơn vị trùng tên."
            ),
        ),
        Definition(
            key="road_late",
            label="Quá hạn trên con đường kết nạp",
            definition=(
                "Người của đơn vị và cấp dưới mà đến hôm nay đã quá hạn chưa có quyết định kết "
                "nạp (60 ngày làm việc từ nghị quyết của chi bộ, cộng thời gian gia hạn) hoặc "
                "chưa có quyết định công nhận đảng viên chính thức (30 ngày làm việc sau khi "
                "hết 12 tháng dự bị); ngày làm việc tính theo lịch nghỉ lễ, Tết của bộ quy định."
            ),
        ),
        Definition(
            key="road_due_soon",
            label="Sắp đến hạn trên con đường kết nạp",
            definition=(
                "Cũng hai thời hạn đó, chưa quá hạn nhưng chỉ còn không quá số ngày làm việc "
                "của tham số due_soon_working_days của bộ quy định."
            ),
        ),
        Definition(
            key="target",
            label="Chỉ tiêu kết nạp",
            definition=(
                "Chỉ tiêu trong kế hoạch kết nạp của đơn vị; đơn vị chưa có kế hoạch dùng tổng "
                "chỉ tiêu của các đơn vị cấp dưới gần nhất có kế hoạch."
            ),
        ),
    )
}


def label(key: str) -> str:
    return DEFINITIONS[key].label


def legend(*keys: str, people: bool = True) -> list[Definition]:
    """The definitions a page shows under its figures; for figures of people, the day they
    stand on and the counting rule last."""
    return [DEFINITIONS[key] for key in keys] + ([AS_OF, COUNTED_AT] if people else [])
