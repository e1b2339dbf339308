"""Vietnamese words for the candidate codes, as forms and printed lists show them."""

from __future__ import annotations

SEX_LABELS = {"male": "Nam", "female": "Nữ"}
EDUCATION_LABELS = {
    "none": "Chưa qua đào tạo",
    "primary": "Tiểu học",
    "lower_secondary": "Trung học cơ sở",
    "upper_secondary": "Trung học phổ thông",
    "intermediate": "Trung cấp",
    "college": "Cao đẳng",
    "university": "Đại học",
    "postgraduate": "Sau đại học",
}
STAGE_LABELS = {
    "surveyed": "Khảo sát nguồn",
    "course_nominee": "Giới thiệu học lớp bồi dưỡng nhận thức về Đảng",
    "certified": "Đã có giấy chứng nhận",
    "admission_source": "Nguồn kết nạp đảng viên",
    "admission_in_progress": "Đang làm thủ tục kết nạp",
    "admitted": "Đã kết nạp",
    "removed": "Đưa ra khỏi danh sách",
}
"""A candidate's stage in full, for messages and records."""
STAGE_SHORT_LABELS = {
    "surveyed": "Khảo sát",
    "course_nominee": "Dự kiến học lớp nhận thức",
    "certified": "Đã có giấy chứng nhận",
    "admission_source": "Nguồn kết nạp",
    "admission_in_progress": "Đang làm thủ tục kết nạp",
    "admitted": "Đã kết nạp",
    "removed": "Đã đưa ra khỏi danh sách",
}
"""A candidate's stage in a few words, for charts, tables and badges."""
POLITICAL_LABELS = {
    "unchecked": "Chưa thẩm tra",
    "passed": "Đã thẩm tra, đạt",
    "failed": "Đã thẩm tra, không đạt",
}
MEMBER_STATUS_LABELS = {"probationary": "Đảng viên dự bị", "full": "Đảng viên chính thức"}
END_REASON_LABELS = {
    "moved_out": "Chuyển sinh hoạt đảng ra ngoài tỉnh",
    "deceased": "Từ trần",
    "struck_off": "Xoá tên khỏi danh sách đảng viên",
    "expelled": "Khai trừ khỏi Đảng",
    "resigned": "Xin ra khỏi Đảng",
    "other": "Lý do khác",
}
"""Why a Party member's membership here ended, as the end-of-membership form offers it."""
MEMBER_CHANGE_LABELS = {
    "added": "Thêm vào hệ thống",
    "imported": "Nhập từ tệp",
    "transferred": "Chuyển sinh hoạt giữa các chi bộ",
    "ended": "Kết thúc sinh hoạt",
}
