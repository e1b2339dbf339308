"""``nguon users …`` and ``nguon secrets rotate`` as an operator runs them."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from nguon.accounts.admin import record_sign_in
from nguon.accounts.passwords import verify_password
from nguon.accounts.tables import User
from nguon.audit.tables import AuditEvent
from nguon.cli import main
from nguon.crypto import key_id
from nguon.db.binding import using_engine
from nguon.db.engine import make_engine
from nguon.db.migrate import migrate
from nguon.org.tables import OrgUnit
from nguon.people.tables import Candidate
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant
from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url

FIRST_PASSWORD = "một-mật-khẩu-đủ-dài"


async def _tenant_with_two_units(url: str, slug: str) -> None:
    with using_engine(make_engine(url)):
        tenant = Tenant(slug=slug, name="Tỉnh thử", rules_package="hungyen")
        await tenant.save().run()
        with tenant_context(tenant.id):
            root = OrgUnit(
                tenant_id=tenant.id,
                code="TU",
                name="Tỉnh ủy",
                kind="province_committee",
                path="",
                valid_from=dt.date(2020, 1, 1),
            )
            await root.save().run()
            root.path = f"{root.id}."
            await root.save([OrgUnit.path]).run()
            cell = OrgUnit(
                tenant_id=tenant.id,
                code="CB1",
                name="Chi bộ 1",
                kind="grassroots_cell",
                parent=root.id,
                path="",
                depth=1,
                valid_from=dt.date(2020, 1, 1),
            )
            await cell.save().run()
            cell.path = f"{root.path}{cell.id}."
            await cell.save([OrgUnit.path]).run()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'users-cli.sqlite'}"
    asyncio.run(migrate(url))
    asyncio.run(_tenant_with_two_units(url, "thu"))
    monkeypatch.chdir(tmp_path)
    return {"NGUON_DATABASE_URL": url, "NGUON_SECRET_KEY": "cli-test-secret"}


def _user(url: str, username: str) -> User:
    async def read() -> User:
        with using_engine(make_engine(url)):
            user = await User.objects().where(User.username == username).first()
            assert user is not None
            return user

    return asyncio.run(read())


def _audit(url: str) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        with using_engine(make_engine(url)):
            rows = await AuditEvent.select(AuditEvent.action, AuditEvent.actor).order_by(
                AuditEvent.id
            )
        return [(row["action"], row["actor"]) for row in rows]

    return asyncio.run(read())


def test_the_first_admin_and_then_users_from_the_command_line(sqlite_env: dict[str, str]) -> None:
    url = sqlite_env["NGUON_DATABASE_URL"]
    runner = CliRunner(env=sqlite_env)
    base = ["users", "create", "--tenant", "thu"]

    short = runner.invoke(
        main,
        [*base, "--username", "boss", "--full-name", "Bà Chủ", "--admin", "--password-stdin"],
        input="ngắn\n",
    )
    assert short.exit_code == 2 and "too short" in short.output

    first = runner.invoke(
        main,
        [*base, "--username", "boss", "--full-name", "Vũ Ngọc Anh", "--admin", "--password-stdin"],
        input=f"{FIRST_PASSWORD}\n",
    )
    assert first.exit_code == 0, first.output
    assert "Created tenant administrator boss in tenant thu." in first.output
    assert FIRST_PASSWORD not in first.output
    boss = _user(url, "boss")
    assert verify_password(boss.password_hash, FIRST_PASSWORD) and not boss.must_change_password

    prompted = runner.invoke(
        main,
        [
            *base,
            "--username",
            "deputy",
            "--full-name",
            "Phó",
            "--unit",
            "CB1",
            "--role",
            "approver",
        ],
        input=f"{FIRST_PASSWORD}-2\n{FIRST_PASSWORD}-2\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert verify_password(_user(url, "deputy").password_hash, f"{FIRST_PASSWORD}-2")

    from_env = runner.invoke(
        main,
        [
            *base,
            "--username",
            "env.user",
            "--full-name",
            "Từ biến",
            "--password-env",
            "PW_FOR_TEST",
        ],
        env={"PW_FOR_TEST": f"{FIRST_PASSWORD}-3"},
    )
    assert from_env.exit_code == 0, from_env.output

    one_time = runner.invoke(
        main,
        [
            *base,
            "--username",
            "clerk",
            "--full-name",
            "Văn thư",
            "--unit",
            "CB1",
            "--role",
            "editor",
            "--one-time",
        ],
    )
    assert one_time.exit_code == 0, one_time.output
    secret = one_time.output.strip().rsplit(": ", 1)[1]
    clerk = _user(url, "clerk")
    assert verify_password(clerk.password_hash, secret) and clerk.must_change_password

    listed = runner.invoke(main, ["users", "list", "--tenant", "thu"])
    assert listed.exit_code == 0
    lines = {line.split()[0]: line for line in listed.output.splitlines()}
    assert "tenant_admin@Tỉnh ủy" in lines["boss"]
    assert "must change password" in lines["clerk"] and "editor@Chi bộ 1" in lines["clerk"]
    assert listed.output.endswith("4 user(s).\n")

    granted = runner.invoke(
        main,
        [
            "users",
            "grant",
            "--tenant",
            "thu",
            "--username",
            "clerk",
            "--unit",
            "TU",
            "--role",
            "viewer",
        ],
    )
    assert granted.exit_code == 0 and "Gave viewer on TU to clerk." in granted.output
    revoked = runner.invoke(
        main,
        [
            "users",
            "revoke",
            "--tenant",
            "thu",
            "--username",
            "clerk",
            "--unit",
            "TU",
            "--role",
            "viewer",
        ],
    )
    assert revoked.exit_code == 0, revoked.output
    missing = runner.invoke(
        main,
        [
            "users",
            "revoke",
            "--tenant",
            "thu",
            "--username",
            "clerk",
            "--unit",
            "TU",
            "--role",
            "viewer",
        ],
    )
    assert missing.exit_code == 1 and "holds no current viewer role on TU" in missing.output

    reset = runner.invoke(
        main, ["users", "reset-password", "--tenant", "thu", "--username", "deputy"]
    )
    assert reset.exit_code == 0 and "One-time password for deputy" in reset.output
    assert _user(url, "deputy").must_change_password

    last = runner.invoke(main, ["users", "deactivate", "--tenant", "thu", "--username", "boss"])
    assert last.exit_code == 1 and "last active tenant administrator" in last.output
    assert "Traceback" not in last.output
    off = runner.invoke(main, ["users", "deactivate", "--tenant", "thu", "--username", "clerk"])
    assert off.exit_code == 0 and not _user(url, "clerk").is_active
    on = runner.invoke(main, ["users", "reactivate", "--tenant", "thu", "--username", "clerk"])
    assert on.exit_code == 0 and _user(url, "clerk").is_active

    assert [a for a in _audit(url) if a[1] == "cli:users"][:3] == [
        ("create", "cli:users"),
        ("grant_role", "cli:users"),
        ("create", "cli:users"),
    ]
    for action in ("reset_password", "deactivate", "reactivate", "revoke_role"):
        assert (action, "cli:users") in _audit(url)


def test_command_line_mistakes_are_one_line(sqlite_env: dict[str, str]) -> None:
    runner = CliRunner(env=sqlite_env)
    cases = [
        (["users", "list", "--tenant", "nowhere"], "--tenant: unknown tenant 'nowhere'"),
        (
            [
                "users",
                "grant",
                "--tenant",
                "thu",
                "--username",
                "ghost",
                "--unit",
                "TU",
                "--role",
                "viewer",
            ],
            "--username: no user 'ghost'",
        ),
        (
            [
                "users",
                "create",
                "--tenant",
                "thu",
                "--username",
                "a.b",
                "--full-name",
                "A",
                "--unit",
                "NOPE",
                "--role",
                "viewer",
                "--one-time",
            ],
            "--unit: no unit in force with code 'NOPE'",
        ),
        (
            [
                "users",
                "create",
                "--tenant",
                "thu",
                "--username",
                "Có Dấu",
                "--full-name",
                "A",
                "--one-time",
            ],
            "--username: Tên đăng nhập",
        ),
    ]
    for args, message in cases:
        result = runner.invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    # A password is never an argument: it would stay in the shell's history.
    create = main.commands["users"].commands["create"]  # type: ignore[attr-defined]
    options = {opt for param in create.params for opt in param.opts}
    assert {"--password-stdin", "--password-env"} <= options and "--password" not in options


def test_sign_ins_from_the_command_line(sqlite_env: dict[str, str]) -> None:
    url = sqlite_env["NGUON_DATABASE_URL"]

    async def attempts() -> None:
        with using_engine(make_engine(url)):
            tenant = await Tenant.objects().where(Tenant.slug == "thu").first()
            assert tenant is not None
            with tenant_context(tenant.id):
                await record_sign_in("boss", "203.0.113.7", "portal", "failed")
                await record_sign_in("boss", "203.0.113.7", "portal", "succeeded")

    runner = CliRunner(env=sqlite_env)
    runner.invoke(
        main,
        [
            "users",
            "create",
            "--tenant",
            "thu",
            "--username",
            "boss",
            "--full-name",
            "Chủ",
            "--admin",
            "--password-stdin",
        ],
        input=f"{FIRST_PASSWORD}\n",
    )
    asyncio.run(attempts())
    result = runner.invoke(main, ["users", "sign-ins", "--tenant", "thu", "--username", "boss"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3
    assert lines[2] == "2 sign-in attempt(s) by boss, newest first."
    assert "boss" in lines[0] and "203.0.113.7" in lines[0] and lines[0].endswith("succeeded")
    assert lines[1].endswith("failed")


def test_secrets_rotate_reports_progress_and_when_the_old_key_can_go(
    sqlite_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_env["NGUON_DATABASE_URL"]
    old, new = "cli-test-secret", "cli-test-secret-the-new-one"
    monkeypatch.setenv("NGUON_SECRET_KEY", old)

    async def candidates() -> None:
        from nguon.accounts.admin import operator_access
        from nguon.people.schemas import CandidateCreate
        from nguon.people.service import create_candidate

        with using_engine(make_engine(url)):
            tenant = await Tenant.objects().where(Tenant.slug == "thu").first()
            assert tenant is not None
            with tenant_context(tenant.id):
                cell = await OrgUnit.objects().where(OrgUnit.code == "CB1").first()
                assert cell is not None
                access = operator_access(tenant.id, "test")
                for n in range(5):
                    await create_candidate(
                        access,
                        CandidateCreate(
                            unit_id=cell.id,
                            full_name=f"Người {n}",
                            date_of_birth=dt.date(2000, 1, 1),
                            sex="female",
                            education="upper_secondary",
                            national_id=f"03409900{n:04d}",
                        ),
                    )

    asyncio.run(candidates())
    runner = CliRunner(
        env={**sqlite_env, "NGUON_SECRET_KEY": new, "NGUON_SECRET_KEY_PREVIOUS": old}
    )
    result = runner.invoke(main, ["secrets", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert (
        "thu: 2/5 national ID numbers under the current key (2 re-keyed by this run, 3 to go)"
        in (result.output)
    )
    assert (
        "thu: 5/5 national ID numbers under the current key (5 re-keyed by this run, 0 to go)"
        in (result.output)
    )
    assert "Remove NGUON_SECRET_KEY_PREVIOUS once every server has run with the new key" in (
        result.output
    )
    # Each line once: the last batch's progress is not repeated as the tenant's summary.
    lines = result.output.splitlines()
    assert len(lines) == len(set(lines)), result.output
    assert [line for line in lines if line.startswith("thu: ")] == [
        f"thu: {done}/5 national ID numbers under the current key "
        f"({done} re-keyed by this run, {5 - done} to go)"
        for done in (2, 4, 5)
    ]

    async def keys() -> set[str | None]:
        with using_engine(make_engine(url)):
            rows = await Candidate.select(Candidate.national_id_key)
        return {row["national_id_key"] for row in rows}

    assert asyncio.run(keys()) == {key_id(new)}
    again = runner.invoke(main, ["secrets", "rotate"])
    assert again.output.count("thu: 5/5 national ID numbers under the current key (0 re-keyed") == 1

    lost = CliRunner(env={**sqlite_env, "NGUON_SECRET_KEY": "a-third-key-nobody-knows"}).invoke(
        main, ["secrets", "rotate"]
    )
    assert lost.exit_code == 1
    assert "5 national ID number(s) open with neither NGUON_SECRET_KEY" in lost.output


@pytest.mark.postgres
def test_the_first_admin_on_postgres_runs_as_the_owner(postgres_database: Database) -> None:
    owner = role_url(TEST_ROLES.owner, TEST_DATABASE)
    slug = "cli-users-pg"

    async def prepare() -> None:
        with using_engine(make_engine(owner)):
            if await Tenant.exists().where(Tenant.slug == slug):
                return
        await _tenant_with_two_units(owner, slug)

    asyncio.run(prepare())
    runner = CliRunner(
        env={
            "NGUON_DATABASE_URL": role_url(TEST_ROLES.app, TEST_DATABASE),
            "NGUON_MIGRATE_DATABASE_URL": owner,
            "NGUON_SECRET_KEY": "cli-test-secret",
        }
    )
    username = f"boss{dt.datetime.now().strftime('%H%M%S%f')}"
    result = runner.invoke(
        main,
        [
            "users",
            "create",
            "--tenant",
            slug,
            "--username",
            username,
            "--full-name",
            "Chủ",
            "--admin",
            "--password-stdin",
        ],
        input=f"{FIRST_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["users", "list", "--tenant", slug, "-q", username])
    assert f"{username} " in listed.output and "tenant_admin@Tỉnh ủy" in listed.output

    async def users_in_tenant() -> int:
        with using_engine(make_engine(owner)):
            tenant = await Tenant.objects().where(Tenant.slug == slug).first()
            assert tenant is not None
            with tenant_context(tenant.id):
                return await User.count().where(in_tenant(User))

    assert asyncio.run(users_in_tenant()) >= 1
