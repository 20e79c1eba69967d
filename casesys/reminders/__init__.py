"""Reminders and escalation (DOMAIN §4), e-mail and supervision orders; the scheduler that runs
their sweeps is casesys.scheduler."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casesys.reminders.order_views import bp as orders_bp
    from casesys.reminders.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(orders_bp)
