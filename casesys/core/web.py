"""Request-wide behaviour: one unit of work, security headers, error pages."""

from __future__ import annotations

from itertools import chain

from flask import Flask, abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from casesys.core import ratelimit
from casesys.core.errors import DomainError, api_error
from casesys.core.types import MAX_ROW_ID
from casesys.extensions import db

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in every route: an id beyond the column's range is a 404, not a database error."""

    regex = r"[0-9]+"  # Werkzeug's \d+ also matches '٣' and '３', which int() reads as 3

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ROW_ID, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)


def _refuse_nul_characters():
    """PostgreSQL text cannot hold NUL: refuse it at the door rather than fail in the database."""
    values = chain.from_iterable(chain(request.args.listvalues(), request.form.listvalues()))
    if any("\x00" in value for value in values) or (
            request.is_json and "\\u0000" in request.get_data(as_text=True)):
        abort(400, description=_("The request contains a NUL character, which no field accepts."))


def _commit_or_roll_back(response):
    """The one place a request's work is committed: on success, or not at all."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _http_error(exc: HTTPException):
    db.session.rollback()
    if _wants_json():
        code = (exc.name or "error").lower().replace(" ", "_")
        return api_error(exc.code or 500, code, exc.description or exc.name)
    return render_template("errors/error.html", status=exc.code, message=exc.description), exc.code


def _csrf_error(exc: CSRFError):
    db.session.rollback()
    message = _("The form expired or was sent from elsewhere. Reload the page and try again.")
    if _wants_json():
        return api_error(400, "csrf", message)
    return render_template("errors/error.html", status=400, message=message), 400


def _rate_limited(exc: RateLimitExceeded):
    """429 with Retry-After: the page explains, the API answers in its error shape."""
    db.session.rollback()
    seconds = ratelimit.retry_after()
    message = _("Too many requests. Try again in %(seconds)d seconds.", seconds=seconds)
    if _wants_json():
        response = api_error(429, "rate_limited", message)
    else:
        response = make_response(render_template("errors/error.html", status=429, message=message), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _domain_error(exc: DomainError):
    db.session.rollback()
    if _wants_json():
        return api_error(exc.status, exc.code, exc.message, exc.fields)
    return render_template("errors/error.html", status=exc.status, message=exc.message), exc.status


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = RowIdConverter
    app.before_request(_refuse_nul_characters)
    app.after_request(_commit_or_roll_back)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_error_handler(DomainError, _domain_error)
