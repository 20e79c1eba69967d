"""casesys: case coordination for IP enforcement in Heilongjiang."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from casesys.config import DEFAULTS, REPO_ROOT, from_environment


def create_app(config: dict | None = None) -> Flask:
    """Build the app from ``CASESYS_*`` variables, or from ``config`` alone (tests)."""
    app = Flask(__name__, template_folder=str(REPO_ROOT / "templates"), instance_path=str(REPO_ROOT / "instance"))
    app.config.update(DEFAULTS)
    app.config.update(from_environment() if config is None else config)
    if app.config.get("CASESYS_ENV") == "development":
        # Show what the scheduler does, including the e-mails it would send without an SMTP host.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    hops = app.config.get("CASESYS_TRUSTED_PROXIES", 0)
    if hops:
        # Behind N reverse proxies: take the client's address, scheme and host from the
        # X-Forwarded-* headers they set (audit entries and rate limits use the address).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from casesys.core import db as core_db
    from casesys.core import ratelimit, web
    from casesys.core.i18n import select_locale
    from casesys.extensions import babel, csrf, db, login_manager, migrate

    core_db.install_connection_hooks()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    web.init_app(app)

    from casesys import admin, api, auth, cases, cli, reminders, reporting, stats, templating, workcalendar, workflows

    auth.init_app(app)
    workflows.init_app(app)
    cases.init_app(app)
    admin.init_app(app)
    workcalendar.init_app(app)
    api.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    stats.init_app(app)
    reporting.init_app(app)
    ratelimit.init_app(app)
    reminders.init_app(app)  # last: an embedded scheduler may start, and needs everything above
    return app
