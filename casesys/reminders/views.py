"""Reminder pages: the notification inbox (with the header's unread count) and the overdue lists."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casesys.agencies.models import AGENCY_KINDS, Region
from casesys.auth.guards import require
from casesys.auth.permissions import Permission
from casesys.cases.access import record_confidential_reads
from casesys.core.i18n import label
from casesys.core.params import int_arg, parse_row_id, row_id_arg
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.reminders import queries
from casesys.workcalendar import load_calendar

bp = Blueprint("reminders", __name__)


def _locale() -> str:
    return str(get_locale())


def _inbox_args(source) -> dict:
    """The inbox's own query (page and filter), to come back to the same page after a POST."""
    args = {}
    if parse_row_id(source.get("after")) is not None:
        args["after"] = source.get("after")
    if source.get("unread") == "1":
        args["unread"] = "1"
    return args


@bp.route("/notifications")
@require(Permission.VIEW_CASES)
def notifications():
    page_size = current_app.config["CASESYS_PAGE_SIZE"]
    unread_only = request.args.get("unread") == "1"
    after = row_id_arg("after")
    found = queries.list_notifications(current_user, unread=True if unread_only else None, after_id=after,
                                       limit=page_size + 1)
    page = found[:page_size]
    base = {"unread": "1"} if unread_only else {}
    rows = queries.notification_rows(current_user, page)
    record_confidential_reads(current_user, [r.notification.case for r in rows if r.case_visible], "notifications")
    return render_template(
        "reminders/notifications.html", rows=rows,
        unread_only=unread_only, here=_inbox_args(request.args),
        next_args={**base, "after": page[-1].id} if len(found) > page_size else None,
        first_args=base if after is not None else None)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@require(Permission.VIEW_CASES)
def mark_read(notification_id: int):
    queries.mark_read(current_user, notification_id)
    return redirect(url_for("reminders.notifications", **_inbox_args(request.form)))


@bp.route("/notifications/read", methods=["POST"])
@require(Permission.VIEW_CASES)
def mark_all_read():
    count = queries.mark_all_read(current_user)
    flash(ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", count), "success")
    return redirect(url_for("reminders.notifications", **_inbox_args(request.form)))


def _overdue_filters(scope: str):
    """(agency kind, region, problems) from the query string; supervisors only filter."""
    if scope != "supervisor":
        return None, None, []
    problems = []
    kind = request.args.get("agency_kind") or None
    if kind is not None and kind not in AGENCY_KINDS:
        problems.append(_("Unknown agency kind."))
        kind = None
    region = None
    if code := request.args.get("region"):
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is None or not region.path.startswith(current_user.agency.region.path):
            problems.append(_("The region is outside your area."))
            region = None
    return kind, region, problems


@bp.route("/overdue")
@require(Permission.VIEW_CASES)
def overdue():
    scope = queries.overdue_scope(current_user)
    kind, region, problems = _overdue_filters(scope)
    sort = request.args.get("sort", "due_on")
    if sort not in queries.OVERDUE_SORTS or (scope != "supervisor" and sort in ("agency", "region")):
        sort = "due_on"
    descending = request.args.get("dir") == "desc"
    page_number = int_arg("page", 1, 1, 10_000)
    today, calendar = today_in_china(), load_calendar()
    result = queries.overdue_clocks(current_user, today, calendar, agency_kind=kind, region=region, sort=sort,
                                    descending=descending, locale=_locale(), page=page_number,
                                    limit=queries.OVERDUE_PAGE)
    record_confidential_reads(current_user, [row.case for row in result.rows], "overdue")
    args = {k: v for k, v in {"agency_kind": kind, "region": region.code if region else None}.items() if v}

    def sort_link(column: str) -> str:
        """Sort by ``column``; the current sort column again flips its direction."""
        flip = column == sort and not descending
        return url_for("reminders.overdue", **args, sort=column, dir="desc" if flip else "asc")

    return render_template(
        "reminders/overdue.html", result=result, today=today, sort=sort, descending=descending,
        sort_link=sort_link, problems=problems, agency_kind=kind, region=region,
        kinds=[(key, label(AGENCY_KINDS, key)) for key in AGENCY_KINDS],
        regions=queries.overdue_regions(current_user) if scope == "supervisor" else [],
        page_size=queries.OVERDUE_PAGE,
        next_args={**args, "sort": sort, "dir": "desc" if descending else "asc", "page": result.page + 1}
        if result.has_more else None,
        previous_args={**args, "sort": sort, "dir": "desc" if descending else "asc", "page": result.page - 1}
        if result.page > 1 else None)


@bp.app_context_processor
def _unread_count():
    def unread_notification_count() -> int:
        """The signed-in user's unread notifications, for the header; asked only when shown."""
        if not current_user.is_authenticated:
            return 0
        return queries.unread_count(current_user)

    return {"unread_notification_count": unread_notification_count}
