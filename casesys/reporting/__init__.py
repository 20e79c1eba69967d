"""Reported figures (信息报送): inspection records and plan-indicator reports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casesys.reporting.views import bp

    app.register_blueprint(bp)
