"""Plausible Vietnamese personal names for demo people (not real persons)."""

from __future__ import annotations

import random

FAMILY_NAMES = (
    ("Nguyễn", 30),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Vũ", 5),
    ("Đặng", 3),
    ("Bùi", 3),
    ("Đỗ", 3),
    ("Ngô", 2),
    ("Dương", 2),
    ("Lý", 1),
    ("Đào", 2),
    ("Đinh", 2),
    ("Lương", 1),
    ("Tạ", 1),
)
MIDDLE_NAMES = {
    "male": ("Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Xuân", "Ngọc", "Tiến"),
    "female": ("Thị", "Thu", "Ngọc", "Thanh", "Minh", "Phương", "Hồng", "Thùy", "Bích", "Kim"),
}
GIVEN_NAMES = {
    "male": (
        "Anh", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khánh",
        "Long", "Nam", "Phong", "Quân", "Sơn", "Thắng", "Toàn", "Trung", "Tuấn", "Việt",
    ),
    "female": (
        "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh",
        "Mai", "Nga", "Ngọc", "Nhung", "Phương", "Quỳnh", "Thảo", "Trang", "Vân", "Yến",
    ),
}  # fmt: skip


def full_name(rng: random.Random, sex: str) -> str:
    families, weights = zip(*FAMILY_NAMES, strict=True)
    family = rng.choices(families, weights=weights)[0]
    return f"{family} {rng.choice(MIDDLE_NAMES[sex])} {rng.choice(GIVEN_NAMES[sex])}"
