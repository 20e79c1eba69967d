"""JSON API under /api/v1 for other agencies' systems (bearer tokens, stable field names)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from casesys.api import reporting as _reporting  # noqa: F401 (its routes join bp before registration)
    from casesys.api.ratelimit import limit_api
    from casesys.api.views import bp
    from casesys.extensions import csrf

    csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site request can carry one
    limit_api(bp)
    app.register_blueprint(bp)
