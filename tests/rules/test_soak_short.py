"""A short soak: random and malformed facts from concurrent tasks, checked against plain
Python (bench/soak.py runs the long one)."""

import importlib.util
import sys
from pathlib import Path


async def test_short_soak():
    path = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
    spec = importlib.util.spec_from_file_location("nguon_bench_soak", path)
    soak = importlib.util.module_from_spec(spec)
    sys.modules["nguon_bench_soak"] = soak
    spec.loader.exec_module(soak)
    report = await soak.soak(total=5_000, tasks=50)
    assert report.evaluations == 5_000
    assert report.mismatches == 0
    assert report.malformed > 0
