"""The key-value store every server process shares when no Redis is configured:
portal sessions, login attempt counters and lock-outs, background job progress."""

from __future__ import annotations

from piccolo.columns import BigInt, Bytea, Integer, Varchar
from piccolo.table import Table


class KeyValue(Table, tablename="kv_store"):
    """Not a tenant table: keys carry their own namespace (and tenant id where it matters)."""

    key = Varchar(length=300, unique=True)
    value = Bytea(default=b"")
    counter = Integer(default=0)
    expires_at = BigInt(null=True, default=None)
    """Milliseconds since the epoch; NULL never expires."""
