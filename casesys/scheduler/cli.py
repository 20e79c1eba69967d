"""``flask scheduler run``, ``tick [--now]``, ``status`` and ``resend ID…``."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from casesys.core.types import CHINA_TZ
from casesys.extensions import db
from casesys.reminders import outbox
from casesys.scheduler import runner as scheduler

scheduler_cli = AppGroup("scheduler", help="Reminders, escalation and e-mail.")


@scheduler_cli.command("run")
def run():
    """Run the scheduler; a second one started waits and takes over if the first stops."""
    scheduler.run_forever(current_app._get_current_object(), echo=click.echo)


@scheduler_cli.command("tick")
@click.option("--now", "now_text", metavar="ISO-DATETIME",
              help="Run as if it were this moment (e.g. 2026-12-01T09:00+08:00); default: now.")
def tick(now_text):
    """Run every job once and exit."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("an ISO date-time such as 2026-12-01T09:00+08:00", param_hint="--now") from None
        if now.tzinfo is None:
            now = now.replace(tzinfo=CHINA_TZ)  # a time without a zone is China time
    for job, result in scheduler.tick(current_app._get_current_object(), now).items():
        click.echo(f"{job}: {result}")


def _age(delta) -> str:
    return f"{delta.total_seconds():.0f} s ago"


@scheduler_cli.command("status")
def status():
    """Who leads, how fresh its heartbeat is, each job's last run, the e-mail queue and stuck e-mails."""
    try:
        state = scheduler.status()
        due, stuck = outbox.due_count(state["now"]), outbox.stuck(state["now"])
    finally:
        db.session.rollback()  # read only; hold no lock while printing
    now, lead, age = state["now"], state["lead"], state["heartbeat_age"]
    lease = current_app.config.get("CASESYS_SCHEDULER_LEASE_SECONDS", scheduler.DEFAULT_LEASE_SECONDS)
    stale = lead is not None and not state["released"] and age.total_seconds() > lease
    if lead is None:
        click.echo("leader: none has run yet")
    elif state["released"]:
        click.echo(f"leader: none (given up by {lead.holder}, term {lead.term})")
    else:
        click.echo(f"leader: {lead.holder} (term {lead.term}), heartbeat {_age(age)}"
                   + (f" - STALE (over {lease} s): frozen or gone, a standby may take over" if stale else ""))
    for job in scheduler.JOBS:
        run = state["runs"].get(job.id)
        if run is None:
            click.echo(f"job {job.id}: no run recorded")
        else:
            outcome = "ok" if run.ok else f"FAILED: {run.error}"
            click.echo(f"job {job.id}: last run {_age(now - run.finished_at)} by {run.holder} - {outcome}")
    click.echo(f"e-mails due: {due}")
    click.echo(f"e-mails stuck in sending for over {outbox.STUCK_AFTER.total_seconds() / 60:.0f} min: {len(stuck)}"
               + (" (not re-sent on their own; `flask scheduler resend ID...` queues them again)" if stuck else ""))
    for row in stuck:
        since = _age(now - row.claimed_at) if row.claimed_at else "an unknown time ago"
        click.echo(f"  #{row.id} to {row.to_address} (notification {row.notification_id}), sending since {since}")
    if stuck or stale:
        raise SystemExit(1)  # for monitoring: something needs an operator


@scheduler_cli.command("resend")
@click.argument("ids", nargs=-1, type=int, required=True)
def resend(ids):
    """Queue e-mails stuck in sending again (their recipient may get them twice)."""
    requeued = outbox.resend(list(ids))
    db.session.commit()
    for row_id in sorted(set(ids) - set(requeued)):
        click.echo(f"#{row_id}: not stuck in sending, left alone")
    click.echo(f"queued again: {', '.join(f'#{i}' for i in requeued) or 'none'}")
