"""Domain errors raised by services; the HTTP layer maps them to status codes.

Messages are shown to users: Vietnamese first, then English.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a service raises on purpose."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Missing, in another tenant, or outside what the caller may see: all look the same."""

    def __init__(self, entity: str) -> None:
        super().__init__(f"Không tìm thấy / Not found: {entity}")


class Forbidden(DomainError):
    """The caller sees the object but its role does not allow the action."""


class Conflict(DomainError):
    """A stale version or a duplicate natural key."""


class InvalidInput(DomainError):
    """Well-formed input that breaks a domain rule; ``field`` names the culprit."""
