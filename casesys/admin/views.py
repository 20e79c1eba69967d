from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casesys.admin.forms import ResetPasswordForm, UserForm
from casesys.agencies.models import Agency, Region
from casesys.auth import services
from casesys.auth.guards import require
from casesys.auth.models import User
from casesys.auth.permissions import ROLES, Permission
from casesys.core.errors import DomainError
from casesys.core.i18n import label
from casesys.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _agencies_in_scope():
    """An administrator manages the agencies of their region and below."""
    return (select(Agency).join(Region, Region.code == Agency.region_code)
            .where(Region.path.startswith(current_user.agency.region.path)))


def _user_in_scope_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.agency.region.path.startswith(current_user.agency.region.path):
        abort(404)
    return user


def _fill(form: UserForm) -> None:
    locale = str(get_locale())
    agencies = db.session.scalars(_agencies_in_scope().order_by(Region.path, Agency.kind))
    form.agency.choices = [(a.code, f"{a.name(locale)} ({a.code})") for a in agencies]
    form.roles.choices = [(role, label(ROLES, role)) for role in ROLES]


def _edit_form(user: User, *, posted: bool) -> UserForm:
    """The account form of an existing user, with the posted values or the stored ones."""
    form = UserForm(obj=user) if posted else UserForm(formdata=None, obj=user)
    del form.password  # passwords change only through the reset form
    _fill(form)
    form.username.render_kw = {"readonly": True}
    if not posted:
        form.agency.data = user.agency.code
        form.roles.data = sorted(user.roles)
    return form


def _apply_errors(form, exc: DomainError) -> None:
    for name, message in (exc.fields or {"": exc.message}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


@bp.route("/users")
@require(Permission.MANAGE_USERS)
def users():
    query = select(User).join(Agency).join(Region, Region.code == Agency.region_code).where(
        Region.path.startswith(current_user.agency.region.path))
    if search := request.args.get("q", "").strip()[:64]:
        query = query.where(User.username.icontains(search, autoescape=True)
                            | User.display_name.icontains(search, autoescape=True))
    rows = db.session.scalars(query.order_by(Region.path, Agency.kind, User.username).limit(500)).all()
    return render_template("admin/users.html", users=rows, q=search)


@bp.route("/users/new", methods=["GET", "POST"])
@require(Permission.MANAGE_USERS)
def create_user():
    form = UserForm()
    _fill(form)
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors = [_("Set an initial password.")]
        else:
            try:
                user = services.create_user(
                    current_user, username=form.username.data, password=form.password.data,
                    agency_code=form.agency.data, roles=set(form.roles.data),
                    display_name=form.display_name.data, email=form.email.data)
                user.is_active = form.is_active.data
            except DomainError as exc:
                _apply_errors(form, exc)
            else:
                flash(_("User %(name)s created.", name=user.username), "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_USERS)
def edit_user(user_id: int):
    user = _user_in_scope_or_404(user_id)
    form = _edit_form(user, posted=request.method == "POST")
    if form.validate_on_submit():
        try:
            services.update_user(current_user, user, agency_code=form.agency.data, roles=set(form.roles.data),
                                 display_name=form.display_name.data, email=form.email.data,
                                 is_active=form.is_active.data)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, reset_form=ResetPasswordForm())


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require(Permission.MANAGE_USERS)
def reset_password(user_id: int):
    user = _user_in_scope_or_404(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(current_user, user, form.password.data)
        flash(_("The password of %(name)s was reset; their log-ins were ended.", name=user.username), "success")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_form.html", form=_edit_form(user, posted=False), user=user, reset_form=form), 422
