"""Every route declares its guard; a structural test checks that none is missing.

The guards ask auth who the caller is (a session, a bearer token) and what their roles allow,
so they live in auth, not core: every feature that has routes sits above auth and imports them.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g, request
from flask_babel import gettext as _
from flask_login import current_user

from casesys.auth.permissions import Permission
from casesys.core.errors import api_error
from casesys.extensions import login_manager

# Routes reachable without signing in. Everything else must carry a guard.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})


def require(permission: Permission):
    """Web views: sign-in (redirect to the log-in page) and a permission (403)."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        guarded.guarded_by = permission
        return guarded

    return decorate


def api_require(permission: Permission):
    """API views: a bearer token (401) and a permission (403); the caller is ``g.api_user``."""
    from casesys.auth.services import user_for_token

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
            user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
            if user is None:
                return api_error(401, "unauthorized", _("A valid bearer token is required."))
            if not user.can(permission):
                return api_error(403, "forbidden", _("Your role does not allow this."))
            g.api_user = user
            return view(*args, **kwargs)

        guarded.guarded_by = permission
        return guarded

    return decorate
