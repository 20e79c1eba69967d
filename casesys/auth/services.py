"""Verbs on accounts: passwords, log-in with lockout, sessions, API tokens."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, or_, select, update

from casesys import audit
from casesys.agencies.models import Agency
from casesys.auth.models import ApiToken, LoginSession, User, token_digest
from casesys.auth.permissions import ROLES
from casesys.core.errors import Conflict, InvalidInput
from casesys.core.params import parse_row_id
from casesys.core.types import utcnow
from casesys.extensions import db

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = r"^[a-z0-9_.-]{3,64}$"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("The password is too short."),
                           {"password": _("at least %(n)d characters", n=MIN_PASSWORD_LENGTH)})


@dataclass
class LoginResult:
    user: User | None
    locked_until: datetime | None = None


def authenticate(username: str, password: str) -> LoginResult:
    """Check a password, counting failures in the database so the lockout holds across workers.

    An attempt first claims one of the ``CASESYS_LOCKOUT_THRESHOLD`` tries in one UPDATE, which
    also locks the account when it takes the last one; only then is the password checked, and a
    right one gives the count back. Parallel guesses wait for the row (other workers included),
    so no more than the threshold of them are ever checked."""
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active:
        _hasher.hash(password)  # spend the same time as a real check: do not reveal who exists
        return LoginResult(None)
    now = utcnow()
    threshold = current_app.config["CASESYS_LOCKOUT_THRESHOLD"]
    lock_ran_out = and_(User.locked_until.is_not(None), User.locked_until <= now)
    tries = case((lock_ran_out, 1), else_=User.failed_login_count + 1)  # a lock that ran out starts afresh
    lock = now + timedelta(minutes=current_app.config["CASESYS_LOCKOUT_MINUTES"])
    claimed = db.session.execute(
        update(User).where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_login_count=tries, locked_until=case((tries >= threshold, lock), else_=None))
        .returning(User.failed_login_count, User.locked_until)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    db.session.expire(user)
    if claimed is None:  # locked: refused without looking at the password
        return LoginResult(None, locked_until=user.locked_until)
    if password_matches(user, password):
        user.failed_login_count = 0
        user.locked_until = None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return LoginResult(user)
    failures, locked_until = claimed
    if locked_until is not None:
        audit.record("user.locked", "user", user.id, None, username=user.username, failures=failures)
    return LoginResult(None, locked_until=locked_until)


def start_session(user: User) -> str:
    """Create the server-side record of a log-in; the returned id goes into the cookie."""
    sid = secrets.token_urlsafe(32)
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    db.session.add(LoginSession(user_id=user.id, sid_hash=token_digest(sid), expires_at=utcnow() + lifetime))
    audit.record("user.login", "user", user.id, user)
    return sid


def load_session_user(user_id: str, sid: str | None) -> User | None:
    user_id = parse_row_id(user_id)
    if not sid or user_id is None:
        return None
    row = db.session.execute(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.sid_hash == token_digest(sid), LoginSession.user_id == user_id)
    ).first()
    if row is None:
        return None
    login, user = row
    if login.revoked_at or login.expires_at <= utcnow() or not user.is_active:
        return None
    return user


def end_session(user: User, sid: str | None) -> None:
    if sid:
        db.session.execute(update(LoginSession).where(LoginSession.sid_hash == token_digest(sid))
                           .values(revoked_at=utcnow()))
    audit.record("user.logout", "user", user.id, user)


def revoke_access(user: User, *, api_tokens: bool) -> None:
    """End every browser log-in of ``user`` and, if asked, their API tokens too."""
    now = utcnow()
    db.session.execute(update(LoginSession).where(LoginSession.user_id == user.id,
                                                  LoginSession.revoked_at.is_(None)).values(revoked_at=now))
    if api_tokens:
        db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                                  ApiToken.revoked_at.is_(None)).values(revoked_at=now))


def issue_api_token(user: User, actor: User | None = None) -> str:
    """Return a new bearer token; only its SHA-256 is stored."""
    token = "cs_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=token_digest(token)))
    audit.record("user.token_issued", "user", user.id, actor, username=user.username)
    return token


def user_for_token(token: str) -> User | None:
    api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if api_token is None or api_token.revoked_at or not api_token.user.is_active:
        return None
    api_token.last_used_at = utcnow()  # shows administrators which integrations are alive
    return api_token.user


def _validate_account(username: str, roles: set[str], agency_code: str) -> Agency:
    fields = {}
    if not re.match(USERNAME_PATTERN, username):
        fields["username"] = _("3–64 lower-case letters, digits, '.', '_' or '-'")
    unknown = roles - set(ROLES)
    if unknown:
        fields["roles"] = _("unknown role(s): %(roles)s; choose from %(choices)s",
                             roles=", ".join(sorted(unknown)), choices=", ".join(ROLES))
    if not roles:
        fields["roles"] = _("at least one role")
    agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
    if agency is None:
        fields["agency"] = _("no agency has the code %(code)s", code=agency_code)
    if fields:
        raise InvalidInput(_("The account details are not valid."), fields)
    return agency


def create_user(actor: User | None, *, username: str, password: str, agency_code: str, roles: set[str],
                display_name: str | None = None, email: str | None = None) -> User:
    username = username.strip().lower()
    agency = _validate_account(username, roles, agency_code)
    check_password_strength(password)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(_("That user name is taken."), {"username": _("%(name)s already exists", name=username)})
    user = User(username=username, display_name=display_name or username, email=email or None,
                password_hash=hash_password(password), agency=agency)
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, actor, username=username, agency=agency.code,
                 roles=sorted(roles))
    return user


def update_user(actor: User, user: User, *, agency_code: str, roles: set[str], display_name: str,
                email: str | None, is_active: bool) -> User:
    agency = _validate_account(user.username, roles, agency_code)
    if user.id == actor.id and (not is_active or "admin" not in roles):
        raise InvalidInput(_("You cannot remove your own administrator access."),
                           {"roles": _("keep the admin role and the account active for yourself")})
    before = {"agency": user.agency.code, "roles": sorted(user.roles), "is_active": user.is_active}
    user.agency = agency
    user.set_roles(roles)
    user.display_name = display_name or user.username
    user.email = email or None
    if user.is_active and not is_active:
        revoke_access(user, api_tokens=True)
    user.is_active = is_active
    db.session.flush()
    audit.record("user.update", "user", user.id, actor, before=before,
                 after={"agency": agency.code, "roles": sorted(roles), "is_active": is_active})
    return user


def set_password(actor: User | None, user: User, password: str) -> None:
    """Set a new password, clear any lockout and end the user's other log-ins."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.failed_login_count = 0
    user.locked_until = None
    revoke_access(user, api_tokens=False)
    db.session.flush()
    audit.record("user.password_reset", "user", user.id, actor)
