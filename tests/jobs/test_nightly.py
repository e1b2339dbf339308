"""The nightly re-evaluation touches only the people whose outcome can change that day."""

from __future__ import annotations

import datetime as dt

import pytest

from nguon.clock import today_in_vietnam
from nguon.jobs.runner import drain_queue
from nguon.jobs.tasks import VIETNAM, nightly_reevaluation
from nguon.pipeline.tables import CandidateDecision
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import build_world
from tests.jobs.world import add_candidates, decisions

pytestmark = pytest.mark.postgres


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


async def test_the_nightly_run_reevaluates_only_the_people_due_that_day(
    postgres_db: Database,
) -> None:
    world = await build_world(postgres_db, "jobs-nightly")
    today = today_in_vietnam()
    tomorrow = today + dt.timedelta(days=1)
    # One turns 18 tomorrow (the package's minimum age); the others are adults whose
    # next threshold is years away.
    born = _years_before(tomorrow, 18)
    young, *adults = await add_candidates(
        world, "cell_x", [born, dt.date(1990, 4, 2), dt.date(1985, 11, 30)]
    )
    from nguon.jobs.reevaluation import reevaluate_candidates

    with tenant_context(world.tenant_id):
        await reevaluate_candidates([young, *adults], today)
        checks = {
            row["candidate"]: row["next_check"]
            for row in await CandidateDecision.select(
                CandidateDecision.candidate, CandidateDecision.next_check
            ).where(in_tenant(CandidateDecision))
        }
        outcomes_before = await CandidateDecision.select(
            CandidateDecision.decision, CandidateDecision.outcome
        ).where(in_tenant(CandidateDecision), CandidateDecision.candidate == young)
    assert checks[young] == tomorrow
    assert all(checks[a] is None or checks[a] > tomorrow for a in adults)

    scheduled = dt.datetime.combine(tomorrow, dt.time(0, 5), VIETNAM).timestamp()
    tenants = await nightly_reevaluation(timestamp=int(scheduled))
    assert tenants >= 1
    await drain_queue()

    evaluated = await decisions(world)
    assert evaluated[young] == tomorrow
    assert [evaluated[a] for a in adults] == [today, today]  # not touched
    with tenant_context(world.tenant_id):
        outcomes_after = await CandidateDecision.select(
            CandidateDecision.decision, CandidateDecision.outcome
        ).where(in_tenant(CandidateDecision), CandidateDecision.candidate == young)
    assert outcomes_after != outcomes_before  # reaching 18 changed an outcome


async def test_a_batch_of_hundreds_of_people_is_stored_whatever_its_number_of_decisions(
    postgres_db: Database,
) -> None:
    """A tenant-wide re-evaluation stores several decisions per person, 11 values each:
    500 people in one batch exceed the 32,767 parameters a Postgres statement takes."""
    from nguon.jobs.reevaluation import reevaluate_candidates

    world = await build_world(postgres_db, "jobs-batch")
    today = today_in_vietnam()
    births = [dt.date(1980 + index % 20, 1 + index % 12, 1 + index % 28) for index in range(500)]
    people = await add_candidates(world, "cell_x", births)
    with tenant_context(world.tenant_id):
        assert await reevaluate_candidates(people, today) == 500
        stored = await CandidateDecision.count().where(in_tenant(CandidateDecision))
        per_person = await CandidateDecision.count().where(
            in_tenant(CandidateDecision), CandidateDecision.candidate == people[-1]
        )
    assert per_person * 500 * 11 > 32_767  # the batch could not go in one statement
    assert stored == per_person * 500
    assert set((await decisions(world)).values()) == {today}
