"""A package made by ``nguon rules new`` can be onboarded at once, and every chain it
declares can be walked: the scaffold is a structure a province can start from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nguon.hooks import hookimpl
from nguon.plugins import get_plugin_manager
from nguon.rules.registry import clear_cache, load_package
from nguon.rules.scaffold import scaffold_package
from nguon.tenancy.manifest import parse_manifest
from tests.conftest import Database
from tests.structure.test_every_chain_walks import _chains_in, walk_chain

MANIFEST = """
slug = "tinh-moi"
name = "Tỉnh Mới"
rules_package = "tinhmoi"

[admin]
username = "admin.tinhmoi"
full_name = "Quản trị tỉnh Mới"
generate_password = true

[[units]]
code = "tm"
name = "Tỉnh ủy Mới"
kind = "province_committee"
valid_from = 2024-01-01

[[units.children]]
code = "tm.btc"
name = "Ban Tổ chức Tỉnh ủy"
kind = "organisation_board"
valid_from = 2024-01-01

[[units.children]]
code = "tm.dh"
name = "Đảng ủy Trường Đại học Mới"
kind = "grassroots_committee"
valid_from = 2024-01-01

[[units.children.children]]
code = "tm.dh.k1"
name = "Chi bộ Khoa Toán"
kind = "subordinate_cell"
valid_from = 2024-01-01

[[units.children]]
code = "tm.thon"
name = "Chi bộ thôn Đông"
kind = "grassroots_cell"
bloc = "commune"
valid_from = 2024-01-01
"""


@pytest.fixture
def scaffolded(tmp_path: Path) -> Iterator[str]:
    folder = scaffold_package("tinhmoi", tmp_path, title="Tỉnh Mới", year=2024)

    class Registers:
        @hookimpl
        def register_rules_packages(self) -> list[Path]:
            return [folder]

    manager = get_plugin_manager()
    plugin = Registers()
    manager.register(plugin)
    clear_cache()
    yield "tinhmoi"
    manager.unregister(plugin)
    clear_cache()


async def test_a_scaffolded_package_onboards_and_walks_its_chains(
    scaffolded: str, sqlite_db: Database
) -> None:
    assert parse_manifest(MANIFEST).rules_package == scaffolded
    package = load_package(scaffolded)
    version = package.versions[0]
    chains = _chains_in(package, version)
    assert {chain.kind for chain in chains} == package.people_holding_kinds
    for chain in chains:
        await walk_chain(sqlite_db, scaffolded, version, chain)
