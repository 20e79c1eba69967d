"""Cross-department statistics (DOMAIN §5): figures, the supervisor dashboard and exports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casesys.stats.cli import stats_cli
    from casesys.stats.views import bp

    app.cli.add_command(stats_cli)
    app.register_blueprint(bp)
