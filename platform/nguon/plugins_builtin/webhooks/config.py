"""A tenant's webhook settings (``[plugins.webhooks]`` in the manifest, or the admin API)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from nguon.outbound import OutboundRefused, check_url

EventType = Literal[
    "list.submitted",
    "list.returned",
    "list.accepted",
    "candidate.stage_changed",
    "deadline.reminder",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]


class Endpoint(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    url: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^https?://[^\s/?#]+(/\S*)?$",
            extra={
                "form": {
                    "vi": "một địa chỉ http:// hoặc https:// không có khoảng trắng",
                    "en": "an http:// or https:// address without spaces",
                }
            },
        ),
    ]
    """Where the JSON payloads are POSTed."""
    secret: Annotated[str, msgspec.Meta(min_length=16)]
    """Key of the ``X-Nguon-Signature: sha256=<hex>`` HMAC over the raw body."""
    events: list[EventType] = msgspec.field(default_factory=lambda: list(EVENT_TYPES))
    """Which event types this endpoint receives (all by default)."""
    api_version: Literal["v1", "v2"] = "v1"
    """The vocabulary of the payloads: ``v2`` speaks the API's glossary (``docs/api.md``);
    ``v1``, the names of before, stays the default for endpoints configured before v2,
    until v1's sunset."""

    def __post_init__(self) -> None:
        try:
            check_url(self.url)
        except OutboundRefused as refused:
            raise ValueError(
                f"url: Không được gửi webhook tới địa chỉ này ({refused}): chỉ địa chỉ công khai, "
                "hoặc mạng nội bộ nhà vận hành cho phép (NGUON_OUTBOUND_ALLOW) / "
                f"{refused}: only public addresses, or internal networks the operator allows "
                "(NGUON_OUTBOUND_ALLOW)"
            ) from None


class WebhooksConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    endpoints: list[Endpoint] = []
    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=50)] = 12
    """Attempts before a delivery is given up (marked ``failed``)."""
    backoff_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 10.0
    """First retry delay; each further retry doubles it (with jitter), capped at 6 hours."""
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 5.0
    """How long one POST may take before it counts as a failed attempt."""

    def endpoint(self, url: str) -> Endpoint | None:
        return next((e for e in self.endpoints if e.url == url), None)
