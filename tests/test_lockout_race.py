"""Lockout: each attempt claims one of the five tries before its password is checked, so parallel
guesses from many workers get no more than five checks between them."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from casesys.auth import services
from casesys.auth.models import User
from casesys.core.types import utcnow
from casesys.extensions import db
from tests.conftest import PASSWORD, is_postgres


@pytest.fixture
def checks(monkeypatch):
    """The passwords the verifier was asked about (it knows PASSWORD only, and answers at once)."""
    seen, lock = [], threading.Lock()

    def counting(user, password):
        with lock:
            seen.append(password)
        return password == PASSWORD

    monkeypatch.setattr(services, "password_matches", counting)
    return seen


def _account(name: str) -> User:
    db.session.rollback()
    return db.session.scalar(db.select(User).where(User.username == name))


def test_attempts_once_locked_are_refused_without_a_check(app, make_user, checks):
    make_user("target")
    results = [services.authenticate("target", f"guess-{i}") for i in range(7)]
    db.session.commit()
    assert len(checks) == 5
    assert [r.locked_until is not None for r in results] == [False] * 4 + [True] * 3
    user = _account("target")
    assert user.failed_login_count == 5 and user.locked_until > utcnow()


def test_a_right_password_gives_the_tries_back_and_a_lock_that_ran_out_starts_afresh(app, make_user, checks):
    make_user("target")
    for _ in range(4):
        services.authenticate("target", "guess-guess")
    assert services.authenticate("target", PASSWORD).user is not None  # the fifth try, right
    db.session.commit()
    assert _account("target").failed_login_count == 0

    for _ in range(5):
        services.authenticate("target", "guess-guess")
    user = _account("target")
    user.locked_until = utcnow() - timedelta(seconds=1)  # fifteen minutes later
    db.session.commit()
    assert services.authenticate("target", "guess-guess").locked_until is None  # one try used, not the sixth
    db.session.commit()
    assert _account("target").failed_login_count == 1


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (CASESYS_TEST_DATABASE_URL) for real concurrency")
def test_ten_parallel_wrong_passwords_get_exactly_five_checks(app, make_user, checks):
    make_user("target")
    workers = 10
    start = threading.Barrier(workers)
    results, errors = [], []

    def guess(i: int) -> None:
        try:
            with app.app_context():  # a worker of its own: session, connection, transaction
                start.wait()
                result = services.authenticate("target", f"wrong-guess-{i}")
                db.session.commit()
                results.append(result)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(checks) == 5
    assert all(r.user is None for r in results) and sum(r.locked_until is not None for r in results) == 6
    user = _account("target")
    assert user.failed_login_count == 5 and user.locked_until > utcnow()
    locks = db.session.scalar(db.text("SELECT count(*) FROM audit_log WHERE action = 'user.locked'"))
    assert locks == 1
