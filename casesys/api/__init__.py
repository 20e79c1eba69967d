"""JSON API under /api/v1 for other agencies' systems (bearer tokens, stable field names)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from casesys.api.views import bp
    from casesys.extensions import csrf
    from casesys.reporting import api as _reporting_api  # noqa: F401 (its routes join bp before registration)

    csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site request can carry one
    app.register_blueprint(bp)
