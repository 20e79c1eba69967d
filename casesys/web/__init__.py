"""The HTML pages of cases and their workflows: the case list, registration, the case page,
transition forms and the inbox.

They sit in a layer of their own, above the workflows and reminders they show, so that no lower
package has to import a page. Blueprint names ("cases", "workflows") and URLs are unchanged."""

from __future__ import annotations

from flask import Flask, redirect, url_for
from flask_login import current_user

from casesys.auth.guards import require
from casesys.auth.permissions import Permission


def init_app(app: Flask) -> None:
    from casesys.web.cases import bp as cases_bp
    from casesys.web.workflows import bp as workflows_bp

    app.register_blueprint(workflows_bp)
    app.register_blueprint(cases_bp)

    @app.route("/")
    @require(Permission.SIGNED_IN)
    def home():
        if current_user.can(Permission.VIEW_CASES):
            return redirect(url_for("cases.index"))
        if current_user.can(Permission.MANAGE_USERS):
            return redirect(url_for("admin.users"))
        return redirect(url_for("auth.change_password"))
