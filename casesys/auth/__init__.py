"""Accounts, roles, log-in sessions, API tokens and the permission guards."""

from flask import Flask, session
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from casesys.auth.services import load_session_user
    from casesys.auth.views import bp
    from casesys.extensions import login_manager

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(user_id: str):
        return load_session_user(user_id, session.get("sid"))

    app.register_blueprint(bp)
