"""A dashboard's figures are rendered once per version of what they count (Postgres), with
the page cache off: a write in the subtree or a new target shows at the next view, a write
elsewhere in the province leaves them as rendered."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from nguon.app import create_app
from nguon.clock import today_in_vietnam
from nguon.portal import dashboard_body
from tests.conftest import Database
from tests.http.conftest import (
    app_settings,
    build_world,
    candidate_body,
    csrf_token_in,
    portal_login,
    started,
    token_for,
)

IN_SOURCE = re.compile(r'<strong class="in-source-total">(\d+)</strong>')


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per dashboard body rendered."""
    done: list[int] = []
    original = dashboard_body.charts

    def counting(view: Any, year: int) -> dict[str, str]:
        done.append(year)
        return original(view, year)

    monkeypatch.setattr(dashboard_body, "charts", counting)
    return done


def in_source(page: str) -> int:
    found = IN_SOURCE.search(page)
    assert found is not None, page
    return int(found.group(1))


async def test_the_figures_follow_writes_in_the_subtree_and_only_those(
    postgres_db: Database, renders: list[int]
) -> None:
    settings = msgspec.structs.replace(app_settings(), rendered_pages=0)
    async with started(create_app(settings, engine=postgres_db.app)) as client:
        world = await build_world(postgres_db, "than-bang")
        slug, district = world.slug, world.units["district_1"]
        headers = await token_for(client, slug, "admin")
        await portal_login(client, slug, "admin")
        url = f"/t/{slug}/units/{district}/dashboard"

        first = await client.get(url)
        assert first.status_code == 200 and in_source(first.text) == 0
        again = await client.get(url)
        assert in_source(again.text) == 0 and len(renders) == 1

        elsewhere = candidate_body(world.units["cell_z"], full_name="Trần Thị Hoa")
        made = await client.post(f"/t/{slug}/api/v1/candidates", json=elsewhere, headers=headers)
        assert made.status_code == 201, made.text
        after_elsewhere = await client.get(url)
        assert in_source(after_elsewhere.text) == 0 and len(renders) == 1

        inside = candidate_body(world.units["cell_x"], full_name="Lê Văn Nam")
        made = await client.post(f"/t/{slug}/api/v1/candidates", json=inside, headers=headers)
        assert made.status_code == 201, made.text
        after_inside = await client.get(url)
        assert in_source(after_inside.text) == 1 and len(renders) == 2

        year = today_in_vietnam().year
        plan = f"/t/{slug}/units/{district}/plan/{year}"
        form = await client.get(plan)
        targets = {f"target_q{q}": str(q) for q in range(1, 5)}
        saved = await client.post(
            plan,
            data={
                "version": "0",
                "target_year": "10",
                **targets,
                "_csrf_token": csrf_token_in(form.text),
            },
        )
        assert saved.status_code == 303, saved.text
        with_targets = await client.get(url)
        assert len(renders) == 3
        # The quarters' table ends with the year's target: 1 + 2 + 3 + 4.
        assert '<td class="num">10</td></tr></tfoot>' in with_targets.text
        assert in_source(with_targets.text) == 1
