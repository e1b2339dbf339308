"""The people of a list page (the form table, the refused with reasons, the removed, the
choices of the add and remove forms), rendered once per distinct content.

Rendering a hundred people with their reasons and clause texts costs more than reading
them. The HTML depends only on the entries as read, the rules package, the tenant's
address and the choices already selected, so it is kept under a digest of exactly those:
the same input gives the same HTML, and any change to a person, an entry or a helper
changes the digest. Nothing is invalidated, so nothing can go stale; the least recently
used renderings leave a bounded, per-process cache (``nguon.portal.rendered``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from jinja2 import Environment
from litestar import Request
from markupsafe import Markup

from nguon.pipeline.decisions import reasons_from_json
from nguon.pipeline.documents_build import form_rows
from nguon.pipeline.list_read import ListRead
from nguon.portal.candidates import OUTCOME_LABELS, ReasonView, reason_view
from nguon.portal.rendered import BoundedCache, content_key
from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage

TEMPLATE = "list_people.html"


class EntryView(msgspec.Struct):
    candidate_id: int
    full_name: str
    unit_name: str
    outcome: str
    outcome_label: str
    reasons: list[ReasonView]
    note: str


class Basis(msgspec.Struct, frozen=True):
    """A guidance clause quoted once on the page, where the reasons citing it link."""

    anchor: str
    ref: str
    document: str
    text: str


def bases_of(people: list[EntryView]) -> dict[tuple[str, str], Basis]:
    """The clauses the reasons cite, in the order first cited."""
    found: dict[tuple[str, str], Basis] = {}
    for person in people:
        for r in person.reasons:
            key = (r.clause_ref, r.clause_document)
            if r.clause_text and key not in found:
                found[key] = Basis(
                    anchor=f"can-cu-{len(found) + 1}",
                    ref=r.clause_ref,
                    document=r.clause_document,
                    text=r.clause_text,
                )
    return found


class PeopleHtml(msgspec.Struct, frozen=True):
    included: Markup
    refused: Markup
    removed: Markup
    add_options: Markup
    remove_options: Markup
    included_count: int
    refused_count: int
    removed_count: int
    addable_count: int


def _views(package: RulesPackage, entries: list[dict[str, Any]], note: str) -> list[EntryView]:
    return [
        EntryView(
            candidate_id=e["candidate"],
            full_name=e["full_name"],
            unit_name=e["unit.name"],
            outcome=e["outcome"],
            outcome_label=OUTCOME_LABELS.get(e["outcome"], e["outcome"]),
            reasons=[
                reason_view(package, r.clause_id, r.message_vi, r.rule_id)
                for r in reasons_from_json(e["reasons"])
            ],
            note=e[note] or "",
        )
        for e in entries
    ]


def _digest(read: ListRead, package: RulesPackage, slug: str, selected: tuple[str, str]) -> bytes:
    row = read.row
    return content_key(
        package.id, slug, selected, row["step"], row["unit.kind"], row["period_opens"], read.entries
    )


def _render(
    env: Environment, read: ListRead, package: RulesPackage, slug: str, selected: tuple[str, str]
) -> PeopleHtml:
    entries = read.entries
    included = _views(package, [e for e in entries if e["included"]], "override_justification")
    left_out = [e for e in entries if not e["included"]]
    refused = _views(package, [e for e in left_out if not e["removal_reason"]], "removal_reason")
    removed = _views(package, [e for e in left_out if e["removal_reason"]], "removal_reason")
    addable = [e for e in refused if e.outcome != "not_eligible"] + removed
    try:
        form, rows = form_rows(read, package)
        document: dict[str, Any] | None = {
            "title": form.title,
            "columns": form.columns,
            "rows": rows,
        }
    except RulesError:
        document = None
    macros = env.get_template(TEMPLATE).module
    return PeopleHtml(
        included=macros.included_section(slug, document, included),  # type: ignore[attr-defined]
        refused=macros.refused_items(slug, refused, bases_of(refused)),  # type: ignore[attr-defined]
        removed=macros.removed_items(slug, removed),  # type: ignore[attr-defined]
        add_options=macros.add_options(addable, selected[0]),  # type: ignore[attr-defined]
        remove_options=macros.remove_options(included, selected[1]),  # type: ignore[attr-defined]
        included_count=len(included),
        refused_count=len(refused),
        removed_count=len(removed),
        addable_count=len(addable),
    )


def people_html(
    request: Request[Any, Any, Any],
    read: ListRead,
    package: RulesPackage,
    slug: str,
    selected: tuple[str, str] = ("", ""),
) -> PeopleHtml:
    """The people sections of the list ``read``; ``selected`` is the candidate already
    chosen in the add and in the remove form (a form shown again with its errors)."""
    cache: BoundedCache[PeopleHtml] = request.app.state.rendered_people
    engine = request.app.template_engine.engine  # type: ignore[union-attr]
    if cache.size <= 0:  # nothing is kept (NGUON_RENDERED_PEOPLE=0): no digest to make
        return _render(engine, read, package, slug, selected)
    key = _digest(read, package, slug, selected)
    found = cache.get(key)
    if found is None:
        found = _render(engine, read, package, slug, selected)
        cache.put(key, found)
    return found
