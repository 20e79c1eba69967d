"""The scheduler (``flask scheduler …``): one active process runs the periodic jobs of reminders,
e-mail, statistics and the audit anchor; the others wait as standbys."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The ``flask scheduler`` commands, and the embedded scheduler of the development server
    (call it last: a scheduler that starts needs everything else in place)."""
    from casesys.scheduler.cli import scheduler_cli
    from casesys.scheduler.runner import start_embedded

    app.cli.add_command(scheduler_cli)
    app.extensions["casesys.scheduler"] = start_embedded(app)
