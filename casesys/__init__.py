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
    from casesys.core import ratelimit
    from casesys.core import web as core_web
    from casesys.core.i18n import select_locale
    from casesys.extensions import babel, csrf, db, login_manager, migrate

    core_db.install_connection_hooks()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    core_web.init_app(app)

    from casesys import (
        admin,
        api,
        auth,
        cli,
        reminders,
        reporting,
        scheduler,
        stats,
        templating,
        web,
        workcalendar,
        workflows,
    )

    # Every mapper before the first query: relationships name classes of other packages by string
    # (Case.clocks is a workflows class), and the migrations compare every table.
    from casesys.agencies import models as _agencies  # noqa: F401
    from casesys.audit import models as _audit  # noqa: F401
    from casesys.auth import models as _auth  # noqa: F401
    from casesys.cases import models as _cases  # noqa: F401
    from casesys.reminders import models as _reminders  # noqa: F401
    from casesys.reporting import models as _reporting  # noqa: F401
    from casesys.scheduler import models as _scheduler  # noqa: F401
    from casesys.stats import models as _stats  # noqa: F401
    from casesys.workcalendar import models as _calendar  # noqa: F401
    from casesys.workflows import models as _workflows  # noqa: F401

    auth.init_app(app)
    workflows.init_app(app)
    web.init_app(app)
    admin.init_app(app)
    workcalendar.init_app(app)
    api.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    stats.init_app(app)
    reporting.init_app(app)
    ratelimit.init_app(app)
    reminders.init_app(app)
    scheduler.init_app(app)  # last: an embedded scheduler may start, and needs everything above
    return app
