"""The onboarding manifest of a province (``tenants/<slug>.toml``) and its checks.

Reading is done piece by piece so that a type error in one unit does not hide the
problems of the others: every problem is reported with its key path (``$.units[0]…``).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from nguon.org.unit_specs import ExistingUnit, Origin, UnitPlan, UnitSpec, plan_units
from nguon.tenancy.vocabulary import (
    MEMBERSHIP_ROLES,
    PermissiveVocabulary,
    UnitVocabulary,
    UnknownRulesPackage,
    vocabulary_for,
)

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
ARGON2ID_PREFIX = "$argon2id$"


class ManifestUnitFields(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: str
    name: str
    kind: str
    valid_from: dt.date
    bloc: str | None = None
    valid_to: dt.date | None = None
    children: list[Any] = []


class ManifestUnit(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: str
    name: str
    kind: str
    valid_from: dt.date
    bloc: str | None = None
    valid_to: dt.date | None = None
    children: list[ManifestUnit] = []


class ManifestMembership(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    unit: str
    role: str
    valid_from: dt.date | None = None


class ManifestAdmin(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The first tenant admin: a ready argon2id hash, or ``generate_password = true``."""

    username: str
    full_name: str
    password_hash: str | None = None
    generate_password: bool = False


class ManifestUser(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    username: str
    full_name: str
    password_hash: str | None = None
    generate_password: bool = False
    memberships: list[ManifestMembership] = []


class ManifestHeader(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    slug: str
    name: str
    rules_package: str
    next_steps: list[str] = []


class ManifestPlugin(msgspec.Struct, kw_only=True, frozen=True):
    """``[plugins.<name>]``: ``enabled`` (default true) and the plugin's own settings."""

    enabled: bool
    config: dict[str, Any]


class Manifest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    slug: str
    name: str
    rules_package: str
    admin: ManifestAdmin
    units: list[ManifestUnit]
    users: list[ManifestUser] = []
    plugins: dict[str, ManifestPlugin] = {}
    next_steps: list[str] = []
    """What the operator still has to do after this manifest (printed after onboarding):
    a manifest of a province as it stood before a merger names the merger."""


class ManifestError(Exception):
    """The manifest cannot be applied; ``problems`` lists every reason with its key path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the manifest")
        self.problems = problems


def _validation_problem(error: msgspec.ValidationError, prefix: str) -> str:
    message = str(error)
    path = prefix
    if " - at `$" in message:
        message, _, rest = message.rpartition(" - at `$")
        path = prefix + rest.rstrip("`")
    unknown = re.fullmatch(r"Object contains unknown field `(.+)`", message)
    if unknown:
        return f"{path}.{unknown.group(1)}: unknown field"
    return f"{path}: {message}"


def _convert(raw: Any, type_: type[Any], prefix: str, problems: list[str]) -> Any:
    try:
        return msgspec.convert(raw, type_)
    except msgspec.ValidationError as error:
        problems.append(_validation_problem(error, prefix))
        return None


def _unit(
    raw: Any,
    prefix: str,
    parent: tuple[str | None, bool],
    problems: list[str],
    specs: list[UnitSpec],
) -> ManifestUnit | None:
    """Read one unit and its children; ``specs`` receives every unit that could be read."""
    fields = _convert(raw, ManifestUnitFields, prefix, problems)
    if fields is not None:
        specs.append(_spec(fields, parent[0], prefix, parent_known=parent[1]))
    children_raw = raw.get("children", []) if isinstance(raw, dict) else []
    child_parent = (None, False) if fields is None else (fields.code, True)
    children: list[ManifestUnit] = []
    if isinstance(children_raw, list):
        for index, child_raw in enumerate(children_raw):
            child = _unit(child_raw, f"{prefix}.children[{index}]", child_parent, problems, specs)
            if child is not None:
                children.append(child)
    if fields is None or len(children) != len(children_raw):
        return None
    return ManifestUnit(
        code=fields.code,
        name=fields.name,
        kind=fields.kind,
        valid_from=fields.valid_from,
        bloc=fields.bloc,
        valid_to=fields.valid_to,
        children=children,
    )


def _spec(
    unit: ManifestUnitFields | ManifestUnit,
    parent_code: str | None,
    path: str,
    parent_known: bool = True,
) -> UnitSpec:
    return UnitSpec(
        code=unit.code,
        name=unit.name.strip(),
        kind=unit.kind,
        bloc=unit.bloc or None,
        parent_code=parent_code,
        valid_from=unit.valid_from,
        valid_to=unit.valid_to,
        origin=Origin(path),
        parent_known=parent_known,
    )


def parse_manifest(text: str) -> Manifest:
    """Decode a manifest, collecting every problem; :class:`ManifestError` if any."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ManifestError([f"$: not valid TOML: {error}"]) from None
    problems: list[str] = []
    header_raw = {k: v for k, v in raw.items() if k not in {"admin", "units", "users", "plugins"}}
    header = _convert(header_raw, ManifestHeader, "$", problems)
    admin = None
    if "admin" not in raw:
        problems.append("$: Object missing required field `admin`")
    else:
        admin = _convert(raw["admin"], ManifestAdmin, "$.admin", problems)
    units: list[ManifestUnit] = []
    specs: list[UnitSpec] = []
    units_raw = raw.get("units")
    if not isinstance(units_raw, list) or not units_raw:
        problems.append("$.units: at least one unit (the province committee) is required")
        units_raw = []
    for index, unit_raw in enumerate(units_raw):
        unit = _unit(unit_raw, f"$.units[{index}]", (None, True), problems, specs)
        if unit is not None:
            units.append(unit)
    users = _convert(raw.get("users", []), list[ManifestUser], "$.users", problems)
    plugins = _plugins(raw.get("plugins", {}), problems)
    complete = header is not None and admin is not None and users is not None
    if complete and len(units) == len(units_raw):
        manifest = Manifest(
            slug=header.slug,
            name=header.name,
            rules_package=header.rules_package,
            admin=admin,
            units=units,
            users=users,
            plugins=plugins,
            next_steps=header.next_steps,
        )
        problems.extend(check_manifest(manifest, {}).problems)
        if problems:
            raise ManifestError(problems)
        return manifest
    # Something could not be read: still check what could, so every problem shows at once.
    problems.extend(_header_problems(raw.get("slug"), raw.get("name")))
    package = raw.get("rules_package")
    vocabulary, package_problem = _vocabulary(package if isinstance(package, str) else "", specs)
    if package_problem and isinstance(package, str):
        problems.append(package_problem)
    problems.extend(plan_units(specs, {}, vocabulary).problems)
    problems.extend(_accounts_problems(admin, users or [], {spec.code for spec in specs}))
    raise ManifestError(problems)


def _plugins(raw: Any, problems: list[str]) -> dict[str, ManifestPlugin]:
    """``[plugins.<name>]`` tables, each checked against the plugin's ``config_struct``."""
    from nguon.plugins import PluginConfigError, decode_config

    if not isinstance(raw, dict):
        problems.append("$.plugins: expected a table of plugin names")
        return {}
    plugins: dict[str, ManifestPlugin] = {}
    for name, table in raw.items():
        prefix = f"$.plugins.{name}"
        if not isinstance(table, dict):
            problems.append(f"{prefix}: expected a table")
            continue
        config = {k: v for k, v in table.items() if k != "enabled"}
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):
            problems.append(f"{prefix}.enabled: expected true or false")
            continue
        try:
            decoded = decode_config(name, config, prefix)
        except PluginConfigError as error:
            problems.extend(error.problems)
            continue
        stored = msgspec.to_builtins(decoded) if decoded is not None else {}
        plugins[name] = ManifestPlugin(enabled=enabled, config=stored)
    return plugins


def load_manifest(path: Path) -> Manifest:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ManifestError([f"{path}: cannot read the manifest ({error.strerror})"]) from None
    return parse_manifest(text)


def _unit_specs(
    units: list[ManifestUnit], parent_code: str | None, prefix: str
) -> Iterator[UnitSpec]:
    for index, unit in enumerate(units):
        path = f"{prefix}[{index}]"
        yield _spec(unit, parent_code, path)
        yield from _unit_specs(unit.children, unit.code, f"{path}.children")


def _vocabulary(package: str, specs: list[UnitSpec]) -> tuple[UnitVocabulary, str | None]:
    try:
        return vocabulary_for(package), None
    except UnknownRulesPackage:
        permissive = PermissiveVocabulary(
            kinds={s.kind: s.kind for s in specs}, blocs={s.bloc: s.bloc for s in specs if s.bloc}
        )
        return permissive, f"$.rules_package: unknown rules package {package!r}"


@dataclass
class ManifestCheck:
    problems: list[str]
    units: UnitPlan
    specs: list[UnitSpec]


def check_manifest(manifest: Manifest, existing: Mapping[str, ExistingUnit]) -> ManifestCheck:
    """Every semantic problem of ``manifest`` against the tenant's ``existing`` units."""
    problems = _header_problems(manifest.slug, manifest.name)
    specs = list(_unit_specs(manifest.units, None, "$.units"))
    vocabulary, package_problem = _vocabulary(manifest.rules_package, specs)
    if package_problem:
        problems.append(package_problem)
    if len(manifest.units) != 1:
        problems.append(
            f"$.units: a tenant has exactly one top unit (the province committee), "
            f"found {len(manifest.units)}"
        )
    plan = plan_units(specs, existing, vocabulary)
    problems.extend(plan.problems)

    known_units = {spec.code for spec in specs} | set(existing)
    problems.extend(_accounts_problems(manifest.admin, manifest.users, known_units))
    return ManifestCheck(problems=problems, units=plan, specs=specs)


def _header_problems(slug: Any, name: Any) -> list[str]:
    problems: list[str] = []
    if isinstance(slug, str) and not SLUG_PATTERN.match(slug):
        problems.append(
            f"$.slug: {slug!r} must be 2–63 lower-case letters, digits or '-', "
            "starting with a letter"
        )
    if isinstance(name, str) and not name.strip():
        problems.append("$.name: name is empty")
    return problems


def _accounts_problems(
    admin: ManifestAdmin | None, users: list[ManifestUser], known_units: set[str]
) -> list[str]:
    problems: list[str] = []
    seen_users: dict[str, str] = {}
    accounts: list[tuple[str, ManifestAdmin | ManifestUser]] = []
    if admin is not None:
        accounts.append(("$.admin", admin))
    accounts += [(f"$.users[{i}]", user) for i, user in enumerate(users)]
    for prefix, account in accounts:
        problems.extend(_account_problems(prefix, account, seen_users))
        for index, membership in enumerate(getattr(account, "memberships", [])):
            at = f"{prefix}.memberships[{index}]"
            if membership.unit not in known_units:
                problems.append(f"{at}.unit: unknown unit {membership.unit!r}")
            if membership.role not in MEMBERSHIP_ROLES:
                problems.append(
                    f"{at}.role: unknown role {membership.role!r} "
                    f"(one of {', '.join(MEMBERSHIP_ROLES)})"
                )
    return problems


def _account_problems(
    prefix: str, account: ManifestAdmin | ManifestUser, seen: dict[str, str]
) -> Iterator[str]:
    if not USERNAME_PATTERN.match(account.username):
        yield (
            f"{prefix}.username: {account.username!r} must be 2–64 lower-case letters, digits, "
            "'.', '-' or '_'"
        )
    if account.username in seen:
        yield f"{prefix}.username: duplicate username (first used at {seen[account.username]})"
    else:
        seen[account.username] = prefix
    if not account.full_name.strip():
        yield f"{prefix}.full_name: full name is empty"
    if account.password_hash is not None and account.generate_password:
        yield f"{prefix}: give either password_hash or generate_password = true, not both"
    elif account.password_hash is None and not account.generate_password:
        yield f"{prefix}: give password_hash (argon2id) or generate_password = true"
    elif account.password_hash is not None and not account.password_hash.startswith(
        ARGON2ID_PREFIX
    ):
        yield f"{prefix}.password_hash: not an argon2id hash (it must start with {ARGON2ID_PREFIX})"
