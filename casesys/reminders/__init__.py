"""Reminders and escalation (DOMAIN §4), e-mail, supervision orders, and the scheduler."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casesys.reminders.cli import scheduler_cli
    from casesys.reminders.order_views import bp as orders_bp
    from casesys.reminders.scheduler import start_embedded
    from casesys.reminders.views import bp

    app.cli.add_command(scheduler_cli)
    app.register_blueprint(bp)
    app.register_blueprint(orders_bp)
    app.extensions["casesys.scheduler"] = start_embedded(app)
