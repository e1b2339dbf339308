"""Rule conditions written as data: parsed, checked, rendered for durable-rules and
evaluated in plain Python (the reference the engine is compared against)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import msgspec

from nguon.rules.facts import ENGINE_FACTS

Operator = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in"]
OPERATORS: tuple[str, ...] = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in")
ORDERING = ("lt", "le", "gt", "ge")
Scalar = int | str | bool


class Leaf(msgspec.Struct, frozen=True):
    fact: str
    op: str
    value: Scalar | list[Scalar]


class Group(msgspec.Struct, frozen=True):
    mode: Literal["all", "any"]
    items: tuple[Condition, ...]


Condition = Leaf | Group


class ConditionError(ValueError):
    """A condition names an unknown fact, operator, code or parameter."""


def parse_condition(raw: Mapping[str, Any]) -> Condition:
    if not isinstance(raw, Mapping):
        raise ConditionError(f"a condition must be a table, got {raw!r}")
    groups = [key for key in ("all", "any") if key in raw]
    if groups:
        if len(raw) != 1:
            raise ConditionError(f"a group has only 'all' or 'any', got keys {sorted(raw)}")
        items = raw[groups[0]]
        if not isinstance(items, list) or not items:
            raise ConditionError(f"'{groups[0]}' needs a non-empty list")
        return Group(groups[0], tuple(parse_condition(item) for item in items))  # type: ignore[arg-type]
    missing = {"fact", "op", "value"} - set(raw)
    if missing or len(raw) != 3:
        raise ConditionError(f"a test needs exactly fact, op and value, got keys {sorted(raw)}")
    return Leaf(str(raw["fact"]), str(raw["op"]), raw["value"])


def referenced_parameters(condition: Condition) -> set[str]:
    if isinstance(condition, Group):
        return set().union(*(referenced_parameters(item) for item in condition.items))
    values = condition.value if isinstance(condition.value, list) else [condition.value]
    return {v[1:] for v in values if isinstance(v, str) and v.startswith("$")}


def referenced_facts(condition: Condition) -> set[str]:
    if isinstance(condition, Group):
        return set().union(*(referenced_facts(item) for item in condition.items))
    return {condition.fact}


def check_condition(
    condition: Condition,
    codes: Mapping[str, tuple[str, ...]],
    parameters: Mapping[str, Scalar],
) -> None:
    """Raise ConditionError for an unknown fact, operator, code or parameter.

    ``codes`` gives the allowed values of code facts (unit kinds and blocs included).
    """
    if isinstance(condition, Group):
        for item in condition.items:
            check_condition(item, codes, parameters)
        return
    spec = ENGINE_FACTS.get(condition.fact)
    if spec is None:
        raise ConditionError(
            f"unknown fact '{condition.fact}'{known_hint(condition.fact, ENGINE_FACTS)}"
        )
    if condition.op not in OPERATORS:
        raise ConditionError(f"unknown operator '{condition.op}' (use one of {OPERATORS})")
    if condition.op in ORDERING and spec.type != "int":
        raise ConditionError(f"'{condition.op}' compares numbers; '{spec.name}' is {spec.type}")
    listed = condition.op in ("in", "not_in")
    if listed != isinstance(condition.value, list):
        wanted = "a list" if listed else "one value"
        raise ConditionError(f"'{condition.op}' on '{spec.name}' needs {wanted}")
    for value in resolve_values(condition, parameters):
        if spec.type == "code":
            allowed = codes.get(spec.name, spec.codes)
            if value not in allowed and value != "":
                raise ConditionError(
                    f"'{value}' is not a known {spec.name} code{known_hint(str(value), allowed)}"
                )
        elif spec.type == "bool" and not isinstance(value, bool):
            raise ConditionError(f"'{spec.name}' is true or false, got {value!r}")
        elif spec.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConditionError(f"'{spec.name}' is a whole number, got {value!r}")


MAX_LISTED = 15
"""Beyond this many known values a refusal names the closest only (a package has ~100 clauses)."""


def known_hint(value: str, known: Iterable[str]) -> str:
    """`` (known: a, b); did you mean 'a'?``: the list when short, the closest always."""
    names = sorted(str(name) for name in known)
    listed = f" (known: {', '.join(names)})" if len(names) <= MAX_LISTED else ""
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    return listed + (f"; did you mean '{close[0]}'?" if close else "")


def resolve_values(leaf: Leaf, parameters: Mapping[str, Scalar]) -> list[Scalar]:
    values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
    resolved: list[Scalar] = []
    for value in values:
        if isinstance(value, str) and value.startswith("$"):
            name = value[1:]
            if name not in parameters:
                raise ConditionError(f"unknown parameter '{name}'{known_hint(name, parameters)}")
            resolved.append(parameters[name])
        else:
            resolved.append(value)
    return resolved


def _engine_value(value: Scalar) -> int | str:
    return int(value) if isinstance(value, bool) else value


def to_durable(condition: Condition, parameters: Mapping[str, Scalar]) -> dict[str, Any]:
    """The durable-rules JSON expression of a condition, parameters filled in."""
    if isinstance(condition, Group):
        return {
            "$and" if condition.mode == "all" else "$or": [
                to_durable(item, parameters) for item in condition.items
            ]
        }
    fact = condition.fact
    values = [_engine_value(v) for v in resolve_values(condition, parameters)]
    match condition.op:
        case "eq":
            return {fact: values[0]}
        case "ne":
            return {"$neq": {fact: values[0]}}
        case "lt" | "le" | "gt" | "ge":
            operator = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}[condition.op]
            return {operator: {fact: values[0]}}
        case "in":
            return {"$or": [{fact: v} for v in values]}
        case _:
            return {"$and": [{"$neq": {fact: v}} for v in values]}


def to_python(
    condition: Condition, parameters: Mapping[str, Scalar]
) -> Callable[[Mapping[str, int | str]], bool]:
    """A plain-Python predicate equivalent to ``to_durable``."""
    if isinstance(condition, Group):
        parts = [to_python(item, parameters) for item in condition.items]
        if condition.mode == "all":
            return lambda facts: all(part(facts) for part in parts)
        return lambda facts: any(part(facts) for part in parts)
    fact = condition.fact
    values = [_engine_value(v) for v in resolve_values(condition, parameters)]
    first = values[0] if values else None
    match condition.op:
        case "eq":
            return lambda facts: facts[fact] == first
        case "ne":
            return lambda facts: facts[fact] != first
        case "lt":
            return lambda facts: facts[fact] < first  # type: ignore[operator]
        case "le":
            return lambda facts: facts[fact] <= first  # type: ignore[operator]
        case "gt":
            return lambda facts: facts[fact] > first  # type: ignore[operator]
        case "ge":
            return lambda facts: facts[fact] >= first  # type: ignore[operator]
        case "in":
            allowed = frozenset(values)
            return lambda facts: facts[fact] in allowed
        case _:
            denied = frozenset(values)
            return lambda facts: facts[fact] not in denied


def describe(condition: Condition, parameters: Mapping[str, Scalar] | None = None) -> str:
    """A one-line human reading of the condition, for ``nguon rules explain``; with
    ``parameters``, each ``$parameter`` is followed by its value ("$min_age_months (216)")."""
    if isinstance(condition, Group):
        joiner = " AND " if condition.mode == "all" else " OR "
        return "(" + joiner.join(describe(item, parameters) for item in condition.items) + ")"
    symbol = {
        "eq": "=",
        "ne": "≠",
        "lt": "<",
        "le": "≤",
        "gt": ">",
        "ge": "≥",
        "in": "in",
        "not_in": "not in",
    }.get(condition.op, condition.op)
    value = condition.value
    if parameters is not None and isinstance(value, str) and value[1:] in parameters:
        return f"{condition.fact} {symbol} {value} ({parameters[value[1:]]})"
    return f"{condition.fact} {symbol} {value}"
