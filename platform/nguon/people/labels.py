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
