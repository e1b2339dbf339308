"""On SQLite, two writers of one process take turns instead of one failing with
"database is locked" (what a request met when a background loop wrote beside it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from nguon.db.engine import make_engine


async def test_a_transaction_that_reads_then_writes_waits_for_another_writer(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.sqlite'}")
    await engine.run_ddl("CREATE TABLE note (body TEXT)")
    first_has_read = asyncio.Event()

    async def reads_then_writes() -> None:
        async with engine.transaction():
            await engine.run_ddl("SELECT count(*) FROM note")
            first_has_read.set()
            await asyncio.sleep(0.3)  # the other writer starts meanwhile
            await engine.run_ddl("INSERT INTO note VALUES ('request')")

    async def writes() -> None:
        await first_has_read.wait()
        async with engine.transaction():
            await engine.run_ddl("INSERT INTO note VALUES ('background loop')")

    await asyncio.gather(reads_then_writes(), writes())

    rows = await engine.run_ddl("SELECT body FROM note ORDER BY body")
    assert [r["body"] for r in rows] == ["background loop", "request"]
