from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from casesys.auth import services
from casesys.auth.forms import ChangePasswordForm, LoginForm
from casesys.auth.guards import require
from casesys.auth.permissions import Permission
from casesys.core.errors import InvalidInput
from casesys.core.i18n import LOCALES
from casesys.core.ratelimit import limit_log_in

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a relative ``next`` on this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("cases.index")


@bp.route("/login", methods=["GET", "POST"])
@limit_log_in
def login():
    if request.args.get("lang") in LOCALES:
        session["locale"] = request.args["lang"]
    if current_user.is_authenticated:
        return redirect(url_for("cases.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.username.data, form.password.data)
        if result.user is not None:
            session.clear()
            session.permanent = True
            session["sid"] = services.start_session(result.user)
            login_user(result.user, remember=False)
            return redirect(_safe_next(request.args.get("next")))
        if result.locked_until:
            form.form_errors.append(_("This account is locked after too many failed attempts. "
                                      "Try again after %(time)s.",
                                      time=format_datetime(result.locked_until, "HH:mm")))
        else:
            form.form_errors.append(_("Wrong user name or password."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@require(Permission.SIGNED_IN)
def logout():
    services.end_session(current_user, session.get("sid"))
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@require(Permission.SIGNED_IN)
def set_language():
    locale = request.form.get("locale")
    if locale in LOCALES:
        current_user.locale = locale
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/account/password", methods=["GET", "POST"])
@require(Permission.SIGNED_IN)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not services.password_matches(current_user, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            try:
                services.set_password(current_user, current_user, form.new_password.data)
            except InvalidInput as exc:
                form.new_password.errors.extend(exc.fields.values())
            else:
                # set_password ended every log-in, this one included: start a fresh one.
                session["sid"] = services.start_session(current_user)
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("cases.index"))
    return render_template("auth/change_password.html", form=form)
