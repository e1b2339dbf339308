"""The restructuring file shown in the operators' guide reads as the guide says."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from nguon.org.restructure import load_restructuring
from tests.onboarding.conftest import REPO


def test_the_guides_example_file_reads(tmp_path: Path) -> None:
    guide = (REPO / "docs" / "operators.md").read_text(encoding="utf-8")
    section = guide.split("## Restructuring a province's tree", 1)[1].split("\n## ", 1)[0]
    [example] = re.findall(r"```toml\n(.*?)```", section, flags=re.S)
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    spec = load_restructuring(path)
    assert (spec.tenant, spec.effective_on) == ("hungyen", dt.date(2025, 7, 1))
    assert spec.counts() == {"open": 1, "move": 1, "rename": 1, "merge": 1, "close": 1}
    assert spec.moves[0].new_code == "hy.phohien.tdp-1"
    assert spec.merges[0].codes == ["hy.hungyen.leloi", "hy.hungyen.minhkhai"]
    # Lines are found with the comments beside the table headers.
    lines = example.splitlines()
    parent_line = next(n for n, line in enumerate(lines, 1) if line.startswith('parent = "hy"'))
    assert spec.opens[0].origin.at("parent") == f"{path}:{parent_line}"
