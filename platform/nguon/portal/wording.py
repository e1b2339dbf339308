"""What a person reads when something goes wrong: Vietnamese only, no entity codes.

Services write their messages "Vietnamese / English" (the API returns both); a portal page
shows the Vietnamese half, and says in words what was not found.
"""

from __future__ import annotations

import re

from nguon.errors import NOT_FOUND_WHAT

STATUS_DETAILS = {
    400: "Yêu cầu không hợp lệ. Hãy quay lại trang trước và kiểm tra thông tin đã nhập.",
    401: "Hãy đăng nhập để tiếp tục.",
    403: "Bạn không có quyền thực hiện việc này.",
    404: "Không tìm thấy trang này, hoặc bạn không có quyền xem.",
    405: "Thao tác này không được hỗ trợ trên trang này.",
    409: "Dữ liệu đã được người khác thay đổi. Hãy tải lại trang rồi làm lại.",
    429: "Bạn thao tác quá nhanh. Hãy thử lại sau ít phút.",
    500: "Lỗi hệ thống, vui lòng thử lại sau.",
}
_NOT_FOUND = re.compile(r"^Không tìm thấy[^/]* / Not found: (?P<what>.+)$")
_VIETNAMESE_LETTER = re.compile(r"[À-ỹđĐ]")


def vietnamese(message: str) -> str:
    """The Vietnamese half of a "vi / en" message; each "vi / en" sentence of a joined
    message keeps its Vietnamese part."""
    kept: list[str] = []
    for part in message.split(" / "):
        if not kept:
            kept.append(part.strip())
            continue
        # "English. Vietnamese / English": a second message starts after the English one.
        sentences = re.split(r"(?<=[.!?])\s+", part)
        kept += [s for s in sentences if _VIETNAMESE_LETTER.search(s)]
    return " ".join(k for k in kept if k)


def error_detail(status: int, detail: str) -> str:
    """The sentence an error page shows for ``detail`` (a service's or the framework's)."""
    found = _NOT_FOUND.match(detail)
    if found:
        what = NOT_FOUND_WHAT.get(found.group("what"), "")
        if what:
            return f"Không tìm thấy {what} này, hoặc bạn không có quyền xem."
        return STATUS_DETAILS[404]
    text = vietnamese(detail) if detail else ""
    if not _VIETNAMESE_LETTER.search(text):
        return STATUS_DETAILS.get(status, STATUS_DETAILS[500])
    return text
