"""User administration for system administrators (DOMAIN §1: users, agencies, calendar)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from casesys.admin.views import bp

    app.register_blueprint(bp)
