"""The browser tests' database: the demo as ``nguon demo`` prepares it — today's Hưng Yên,
Thái Bình merged in on 2025-07-01, the history of both trees and the current period of the
real clock under way. Run as ``python -m tests.browser.seed URL``."""

from __future__ import annotations

import asyncio
import sys

from nguon.demo.prepare import prepare_demo


async def seed(url: str) -> None:
    await prepare_demo(url, candidates=400)


if __name__ == "__main__":
    asyncio.run(seed(sys.argv[1]))
