"""``flask`` commands. Each runs as one unit of work: it commits at the end or not at all."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from casesys.audit.cli import audit_cli
from casesys.core.errors import DomainError
from casesys.extensions import db

seed = AppGroup("seed", help="Load reference and demo data (safe to run again).")
users = AppGroup("users", help="Manage user accounts.")


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    details = "".join(f"\n  {name}: {message}" for name, message in exc.fields.items())
    raise click.ClickException(f"{exc.message}{details}")


@seed.command("reference")
def seed_reference_command():
    """Regions of Heilongjiang and one agency of each kind per region."""
    from casesys.seeding.reference import seed_reference

    created = seed_reference()
    db.session.commit()
    click.echo(f"reference data: {created['regions']} regions, {created['agencies']} agencies and "
               f"{created['calendar days']} calendar days added")


@seed.command("demo")
def seed_demo_command():
    """Demo accounts for every role and a few sample cases (needs the reference data)."""
    from casesys.agencies.models import Agency
    from casesys.seeding.demo import DEMO_PASSWORD, seed_demo

    if not db.session.scalar(select(func.count()).select_from(Agency)):
        raise click.ClickException("no agencies yet: run `flask seed reference` first")
    try:
        created = seed_demo()
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"demo data: {created['users']} users and {created['cases']} cases added "
               f"(demo password: {DEMO_PASSWORD})")


@seed.command("history")
def seed_history_command():
    """A 2016–2020 case history that gives the plan's figures (DOMAIN §5), needs the reference data.

    Some 13,000 cases walked step by step through their workflows, copyright inspection records
    and the history accounts that acted in them (they cannot log in). Deterministic; all or
    nothing; does nothing if the history is already loaded."""
    import time

    from casesys.agencies.models import Agency
    from casesys.seeding.history import HistoryError, history_loaded, load_history

    started = time.perf_counter()
    if not db.session.scalar(select(func.count()).select_from(Agency)):
        raise click.ClickException("no agencies yet: run `flask seed reference` first")
    accounts = history_loaded()
    if accounts:
        click.echo(f"history already loaded ({accounts} history accounts exist): nothing changed")
        return

    def progress(label: str, total: int):
        return click.progressbar(length=total, label=label, file=sys.stderr)

    try:
        loaded = load_history(progress)
    except HistoryError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    workflows = ", ".join(f"{key} {n:,}" for key, n in loaded["by_workflow"].items())
    click.echo(f"history loaded in {time.perf_counter() - started:.1f} s: {loaded['cases']:,} cases ({workflows}), "
               f"{loaded['events']:,} events, {loaded['clocks']:,} clocks, {loaded['parties']:,} parties, "
               f"{loaded['handoffs']:,} handoffs, {loaded['links']:,} linked cases, "
               f"{loaded['inspection_records']:,} inspection records, {loaded['users']:,} history accounts")


@users.command("create")
@click.argument("username")
@click.option("--agency", "agency_code", required=True, help="agency code, e.g. 230100-market_regulation")
@click.option("--role", "roles", required=True, multiple=True, help="officer, agency_head, mediator, "
              "supervisor or admin; repeat for several")
@click.option("--name", "display_name", help="full name shown in the UI")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_user_command(username, agency_code, roles, display_name, password_stdin):
    """Create a user; the password is prompted for unless --password-stdin is given."""
    from casesys.auth.services import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(None, username=username, password=password, agency_code=agency_code,
                           roles=set(roles), display_name=display_name)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created {user.username} at {user.agency.code} with roles {', '.join(sorted(user.roles))}")


@users.command("token")
@click.argument("username")
def token_command(username):
    """Print a new API token for USERNAME (only its hash is stored; it cannot be shown again)."""
    from casesys.auth.models import User
    from casesys.auth.services import issue_api_token

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    if not user.is_active:
        raise click.ClickException(f"{username} is deactivated")
    token = issue_api_token(user)
    db.session.commit()
    click.echo(token)


def init_app(app: Flask) -> None:
    for group in (seed, users, audit_cli):
        app.cli.add_command(group)
