"""Cases: registration, numbering, parties, history and who may see them."""

from flask import Flask, redirect, url_for
from flask_login import current_user

from casesys.auth.permissions import Permission
from casesys.core.guards import require


def init_app(app: Flask) -> None:
    from casesys.cases.views import bp

    app.register_blueprint(bp)

    @app.route("/")
    @require(Permission.SIGNED_IN)
    def home():
        if current_user.can(Permission.VIEW_CASES):
            return redirect(url_for("cases.index"))
        if current_user.can(Permission.MANAGE_USERS):
            return redirect(url_for("admin.users"))
        return redirect(url_for("auth.change_password"))
