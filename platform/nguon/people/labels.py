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
POLITICAL_LABELS = {
    "unchecked": "Chưa thẩm tra",
    "passed": "Đã thẩm tra, đạt",
    "failed": "Đã thẩm tra, không đạt",
}
