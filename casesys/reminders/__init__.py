"""Reminders and escalation (DOMAIN §4), e-mail, supervision orders, and the scheduler."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casesys.reminders.cli import scheduler_cli
    from casesys.reminders.scheduler import start_embedded

    app.cli.add_command(scheduler_cli)
    app.extensions["casesys.scheduler"] = start_embedded(app)
