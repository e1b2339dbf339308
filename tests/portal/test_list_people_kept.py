"""A list page's people sections are rendered once per content of what they show, also with
whole pages not kept (``NGUON_RENDERED_PAGES=0``); ``NGUON_RENDERED_PEOPLE=0`` renders them
at every view. A change to a person on the list shows at the next view."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from nguon.app import create_app
from nguon.portal import list_people
from nguon.settings import load_settings
from tests.conftest import Database
from tests.http.conftest import (
    app_settings,
    build_world,
    portal_login,
    started,
    survey_list_of_one,
)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per rendering of a list's people sections."""
    done: list[int] = []
    original = list_people._render

    def counting(*args: Any) -> list_people.PeopleHtml:
        done.append(1)
        return original(*args)

    monkeypatch.setattr(list_people, "_render", counting)
    return done


@pytest.mark.parametrize(("kept", "renders_per_view"), [(256, 0), (0, 1)])
async def test_people_are_rendered_again_only_when_they_changed(
    db: Database, renders: list[int], kept: int, renders_per_view: int
) -> None:
    settings = msgspec.structs.replace(app_settings(), rendered_pages=0, rendered_people=kept)
    async with started(create_app(settings, engine=db.app)) as client:
        world = await build_world(db, f"nguoi-giu-{kept}")
        url, headers, person = await survey_list_of_one(client, world)
        await portal_login(client, world.slug, "cell_x_editor")

        first = await client.get(url)
        assert first.status_code == 200 and "Đỗ Văn Bình" in first.text
        again = await client.get(url)
        assert again.text.count("Đỗ Văn Bình") == first.text.count("Đỗ Văn Bình")
        assert len(renders) == 1 + renders_per_view

        renamed = await client.patch(
            f"/t/{world.slug}/api/v1/candidates/{person}",
            json={"version": 1, "full_name": "Đỗ Văn Bính"},
            headers=headers,
        )
        assert renamed.status_code == 200, renamed.text
        after = await client.get(url)
        assert "Đỗ Văn Bính" in after.text and "Đỗ Văn Bình" not in after.text
        assert len(renders) == 2 + renders_per_view


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NGUON_RENDERED_PEOPLE", "0")
    monkeypatch.setenv("NGUON_RENDERED_PAGES", "12")
    settings = load_settings()
    assert (settings.rendered_people, settings.rendered_pages) == (0, 12)
    monkeypatch.delenv("NGUON_RENDERED_PEOPLE")
    assert load_settings().rendered_people == 256
