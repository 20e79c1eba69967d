"""Domain errors that services raise; the web pages and the API each render them (the API's
error body is built here, so error handlers in core and the API's guards in auth share one shape)."""

from __future__ import annotations

from flask import jsonify


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(DomainError):
    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


def api_error(status: int, code: str, message: str, fields: dict | None = None):
    """The API's error response: ``{"error": {"code", "message", "fields"}}``."""
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="casesys"'
    return response
