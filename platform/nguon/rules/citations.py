"""Which guidance documents are in force on a date, and whether a citation holds.

A document is in force on a day when the package's version in force that day (or the
baseline's) lists it, the day is not before its ``date`` and, when it was replaced, is
before its ``valid_to``. A rule, chain, placement or course organiser must cite, on every
day it applies, at least one clause of a document in force; a clause it cites that is in
force on none of those days is a stale citation. Both refuse the package.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from nguon.rules.manifest import ClauseSpec, GuidanceDocument, VersionSpec

Period = tuple[date, date | None]
DocumentPeriods = dict[str, tuple[Period, ...]]


def _intersect(a: Period, b: Period) -> Period | None:
    start = max(a[0], b[0])
    ends = [end for end in (a[1], b[1]) if end is not None]
    end = min(ends) if ends else None
    if end is not None and end <= start:
        return None
    return start, end


def in_force(periods: Iterable[Period], day: date) -> bool:
    return any(start <= day and (end is None or day < end) for start, end in periods)


def document_periods(
    versions: Sequence[VersionSpec],
    documents: Mapping[str, GuidanceDocument],
    base: Mapping[str, tuple[Period, ...]] | None = None,
) -> tuple[DocumentPeriods, list[tuple[str, str]]]:
    """When each document is in force under ``versions`` (and the baseline's periods),
    and the problems found: (version id, message) for a document a version lists but that
    is in force on none of its days."""
    periods: dict[str, list[Period]] = {code: list(spans) for code, spans in (base or {}).items()}
    problems: list[tuple[str, str]] = []
    for version in versions:
        span: Period = (version.valid_from, version.valid_to)
        for code in version.documents:
            document = documents.get(code)
            if document is None:
                continue  # reported by the loader as an unknown document
            validity: Period = (document.date or date.min, document.valid_to)
            overlap = _intersect(span, validity)
            if overlap is None:
                problems.append(
                    (
                        version.id,
                        f"lists document '{code}', which is not in force on any of its days "
                        f"(dated {document.date or 'undated'}"
                        + (f", replaced on {document.valid_to}" if document.valid_to else "")
                        + ")",
                    )
                )
                continue
            periods.setdefault(code, []).append(overlap)
    return {code: tuple(spans) for code, spans in periods.items()}, problems


def _segments(active: Sequence[Period], boundaries: Iterable[date]) -> list[Period]:
    cuts = sorted(set(boundaries))
    segments: list[Period] = []
    for start, end in active:
        inner = [day for day in cuts if start < day and (end is None or day < end)]
        edges = [start, *inner]
        for left, right in zip(edges, [*inner, end], strict=True):
            segments.append((left, right))
    return segments


def citation_problems(
    cited: Sequence[str],
    active: Sequence[Period],
    clauses: Mapping[str, ClauseSpec],
    periods: DocumentPeriods,
    version_on: Mapping[date, str] | None = None,
) -> list[str]:
    """What is wrong with citing ``cited`` on the days of ``active``: days on which no
    cited clause is in force, and cited clauses in force on none of those days."""
    known = [clause_id for clause_id in cited if clause_id in clauses]
    if not known or not active:
        return []
    boundaries = [day for spans in periods.values() for span in spans for day in span if day]
    boundaries += [day for day in (version_on or {})]
    used: set[str] = set()
    failing: list[tuple[date, date | None, str]] = []
    for start, end in _segments(active, boundaries):
        holding = [
            clause_id
            for clause_id in known
            if in_force(periods.get(clauses[clause_id].document, ()), start)
        ]
        used.update(holding)
        if holding:
            continue
        version = _version_name(version_on, start)
        if failing and failing[-1][1] == start and failing[-1][2] == version:
            failing[-1] = (failing[-1][0], end, version)
        else:
            failing.append((start, end, version))
    cited_text = ", ".join(f"'{c}' (document '{clauses[c].document}')" for c in known)
    problems = [
        (
            f"cites clause {cited_text}, which is not in force"
            if len(known) == 1
            else f"cites no clause in force ({cited_text})"
        )
        + f" from {start} to {end or 'open'}{version}"
        for start, end, version in failing
    ]
    if len(known) > 1:
        for clause_id in known:
            if clause_id not in used:
                document = clauses[clause_id].document
                problems.append(
                    f"cites clause '{clause_id}', but its document '{document}' is not in "
                    "force on any day it applies"
                )
    return problems


def _version_name(version_on: Mapping[date, str] | None, day: date) -> str:
    if not version_on:
        return ""
    starts = [start for start in version_on if start <= day]
    return f" (version '{version_on[max(starts)]}')" if starts else ""


def package_span(versions: Sequence[VersionSpec]) -> tuple[Period, ...]:
    """Every day of the package's versions, as one period per version."""
    return tuple((v.valid_from, v.valid_to) for v in versions)


__all__ = [
    "DocumentPeriods",
    "citation_problems",
    "document_periods",
    "in_force",
    "package_span",
]
