"""Cross-department statistics (DOMAIN §5): figures, the supervisor dashboard and exports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casesys.stats.cli import stats_cli
    from casesys.stats.snapshots import install_version_hooks
    from casesys.stats.views import bp

    install_version_hooks()
    app.cli.add_command(stats_cli)
    app.register_blueprint(bp)
