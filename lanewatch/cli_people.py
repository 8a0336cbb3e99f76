"""`lanewatch users …` and `lanewatch orgs …`: people and organisations from the command line.

What the administrator types here is recorded in the audit as done by "system"
(the command line has no signed-in person). Messages are in the deployment's
language (zh-CN unless configured otherwise).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from lanewatch.people import accounts, sessions
from lanewatch.people.audit import record
from lanewatch.people.org_import import OrgImportError, import_text
from lanewatch.people.passwords import PasswordRuleError
from lanewatch.people.roles import PERSON_ROLES
from lanewatch.store.people_tables import OrganisationRow, PersonRow
from lanewatch.store.tables import as_utc, utcnow
from lanewatch.words import t

users_app = typer.Typer(help="People who sign in (users add / list / passwd / disable).", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations (orgs import / list).", no_args_is_help=True)
console = Console(stderr=True)
out = Console()

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="lanewatch.yaml (see README).")]
DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", help="Overrides the config / LANEWATCH_DATABASE_URL.")
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input (else it is asked for).")
]
MustChange = Annotated[
    bool,
    typer.Option("--must-change/--no-must-change", help="The person must choose a new password at the first sign-in."),
]


def _fail(message: str) -> NoReturn:
    console.print(f"[red]{t('cli.error')}[/red] {message}", highlight=False)
    raise typer.Exit(2)


def _engine(config: Path | None, database_url: str | None) -> Engine:
    from lanewatch.config import load_settings
    from lanewatch.store.db import open_engine

    try:
        settings = load_settings(config)
    except ValueError as exc:
        _fail(str(exc))
    return open_engine(database_url or settings.resolved_database_url)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt(t("people.cli.password_prompt"), hide_input=True)
    if first != typer.prompt(t("people.cli.password_again"), hide_input=True):
        _fail(t("people.password.mismatch"))
    return str(first)


def _person(session: Session, username: str) -> PersonRow:
    person = accounts.find(session, username)
    if person is None:
        _fail(t("people.account.unknown", username=username))
    return person


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="The name to sign in with (letters, digits, _ . @ -).")],
    role: Annotated[str, typer.Option(help=" | ".join(PERSON_ROLES))],
    org: Annotated[str, typer.Option(help="The organisation's code (lanewatch orgs list).")],
    name: Annotated[str | None, typer.Option(help="Display name, e.g. 张三 (default: the username).")] = None,
    password_stdin: PasswordStdin = False,
    must_change: MustChange = True,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Add a person with a role in an organisation."""
    engine = _engine(config, database_url)
    with Session(engine) as session:
        org_row = session.exec(select(OrganisationRow).where(OrganisationRow.code == org)).first()
        if org_row is None or org_row.pk is None:
            _fail(t("people.account.no_org_code", code=org))
        password = _password(password_stdin)
        try:
            person = accounts.create(
                session,
                username=username,
                password=password,
                role=role,
                org_pk=org_row.pk,
                display_name=name,
                must_change=must_change,
            )
            session.flush()
        except (accounts.AccountError, PasswordRuleError) as exc:
            _fail(str(exc))
        record(session, None, "person.create", "person", username, org_pk=org_row.pk, after=accounts.summary(person))
        session.commit()
        out.print(t("people.cli.added", username=username, role=role, org=org_row.name), highlight=False)


def _state(person: PersonRow) -> str:
    locked = as_utc(person.locked_until)
    if person.disabled:
        return t("people.cli.state.disabled")
    if locked is not None and locked > utcnow():
        return t("people.cli.state.locked")
    if accounts.must_change_password(person):
        return t("people.cli.state.must_change")
    return t("people.cli.state.active")


@users_app.command("list")
def users_list(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Everyone who may sign in, with role, organisation and state."""
    with Session(_engine(config, database_url)) as session:
        orgs = {row.pk: row for row in session.exec(select(OrganisationRow))}
        table = Table(*(t(f"people.cli.col.{c}") for c in ("username", "name", "role", "org", "state")))
        for person in session.exec(select(PersonRow).order_by(PersonRow.username)):
            org = orgs.get(person.org_pk)
            table.add_row(person.username, person.display_name, person.role, org.name if org else "?", _state(person))
        out.print(table)


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="Whose password to set.")],
    password_stdin: PasswordStdin = False,
    must_change: MustChange = True,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Set a person's password (and unlock them); their signed-in browsers are signed out."""
    with Session(_engine(config, database_url)) as session:
        person = _person(session, username)
        try:
            accounts.set_password(session, person, _password(password_stdin), by_owner=not must_change)
        except PasswordRuleError as exc:
            _fail(str(exc))
        assert person.pk is not None
        sessions.revoke_all(session, person.pk)
        record(session, None, "person.password_reset", "person", username, org_pk=person.org_pk)
        session.commit()
        out.print(t("people.cli.changed", username=username), highlight=False)


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="Who may no longer sign in.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the person again instead.")] = False,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Stop a person signing in (their signed-in browsers are signed out); --enable undoes it."""
    with Session(_engine(config, database_url)) as session:
        person = _person(session, username)
        before = accounts.summary(person)
        person.disabled = not enable
        person.updated_at = utcnow()
        session.add(person)
        assert person.pk is not None
        if not enable:
            sessions.revoke_all(session, person.pk)
        action = "person.enable" if enable else "person.disable"
        record(
            session,
            None,
            action,
            "person",
            username,
            org_pk=person.org_pk,
            before=before,
            after=accounts.summary(person),
        )
        session.commit()
        key = "people.cli.enabled" if enable else "people.cli.disabled"
        out.print(t(key, username=username), highlight=False)


@orgs_app.command("import")
def orgs_import(
    file: Annotated[Path, typer.Argument(help="CSV (code,name,kind,parent_code) or YAML (.yaml/.yml).")],
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create or update organisations by code; importing the same file again changes nothing."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError:
        _fail(t("people.orgs.import.unreadable", file=str(file)))
    except UnicodeDecodeError:
        _fail(f"{file}: {t('people.orgs.import.not_utf8')}")
    with Session(_engine(config, database_url)) as session:
        try:
            result = import_text(session, text, yaml_format=file.suffix.lower() in (".yaml", ".yml"))
        except OrgImportError as exc:
            _fail(f"{file}: {exc}")
        for action, codes in (("org.create", result.created), ("org.update", result.updated)):
            for code in codes:
                row = session.exec(select(OrganisationRow).where(OrganisationRow.code == code)).one()
                after = {"code": row.code, "name": row.name, "kind": row.kind, "parent_pk": row.parent_pk}
                record(session, None, action, "organisation", code, org_pk=row.pk, after=after)
        session.commit()
    counts = {"created": len(result.created), "updated": len(result.updated), "unchanged": len(result.unchanged)}
    out.print(t("people.cli.imported", None, **counts), highlight=False)


@orgs_app.command("list")
def orgs_list(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """The organisation tree, each under its parent."""
    with Session(_engine(config, database_url)) as session:
        rows = list(session.exec(select(OrganisationRow).order_by(OrganisationRow.code)))
    codes = {row.pk: row.code for row in rows}
    children: dict[int | None, list[OrganisationRow]] = {}
    for row in rows:
        children.setdefault(row.parent_pk, []).append(row)
    table = Table(*(t(f"people.cli.col.{c}") for c in ("code", "name", "kind", "parent")))

    def walk(parent: int | None, depth: int) -> None:
        for row in children.get(parent, []):
            table.add_row(
                "  " * depth + row.code, row.name, row.kind, codes.get(row.parent_pk, "") if row.parent_pk else ""
            )
            walk(row.pk, depth + 1)

    walk(None, 0)
    out.print(table)
