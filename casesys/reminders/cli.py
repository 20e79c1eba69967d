"""``flask scheduler run`` and ``flask scheduler tick [--now]``."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from casesys.core.types import CHINA_TZ
from casesys.reminders import scheduler

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
