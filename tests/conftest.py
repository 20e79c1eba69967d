"""Fixtures: a database built by running the migrations, on SQLite or PostgreSQL.

SQLite: the migrated database (with reference data) is built once and copied for each test.
PostgreSQL (``CASESYS_TEST_DATABASE_URL``): built once; each test starts by truncating every
table except the reference data.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from casesys import create_app
from casesys.config import normalise_database_url
from casesys.extensions import db


def _database_of_this_worker(url: str | None) -> str | None:
    """Under pytest-xdist each worker gets a database of its own beside the one named (``<name>_gw0``
    …), created on first use: the fixtures empty their database before every test."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    named = make_url(normalise_database_url(url))
    own = f"{named.database}_{worker}"
    engine = create_engine(named, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own}) is None:
            conn.execute(text(f'CREATE DATABASE "{own}"'))
    engine.dispose()
    return named.set(database=own).render_as_string(hide_password=False)


PG_URL = _database_of_this_worker(os.environ.get("CASESYS_TEST_DATABASE_URL"))
REFERENCE_TABLES = {"regions", "agencies", "calendar_days", "calendar_years"}
PASSWORD = "correct-horse-battery"
AUDIT_KEY = secrets.token_hex(32)  # one per test run, so every app of a run verifies the same chain
# Anchor files go here, never to the instance folder (cleaned up when the test run ends).
_SCRATCH = tempfile.TemporaryDirectory(prefix="casesys-tests-")


def is_postgres() -> bool:
    return bool(PG_URL)


def config_for(database_url: str) -> dict:
    return {
        "TESTING": True,
        "CASESYS_ENV": "test",
        "SECRET_KEY": secrets.token_hex(16),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SESSION_COOKIE_SECURE": False,
        "CASESYS_SCHEDULER_EMBEDDED": False,
        "RATELIMIT_ENABLED": False,  # tests log in many times from one address; tests/test_rate_limits.py turns it on
        "CASESYS_AUDIT_KEY": AUDIT_KEY,
        "CASESYS_AUDIT_ANCHOR_FILE": os.path.join(_SCRATCH.name, f"audit-anchors-{secrets.token_hex(8)}.jsonl"),
    }


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Run the migrations once and load the reference data; return the database URL."""
    if PG_URL:
        engine = create_engine(normalise_database_url(PG_URL))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'casesys.sqlite3'}"
    app = create_app(config_for(url))
    with app.app_context():
        upgrade()
        from casesys.seeding.reference import seed_reference

        seed_reference()
        db.session.commit()
        _SEEDED_CALENDAR.append(_calendar_fingerprint())
        db.engine.dispose()
    return url


# The calendar is reference data that tests may change (calendar upkeep loads 2027). SQLite
# tests get a fresh copy; on PostgreSQL a changed calendar is put back before the next test.
_SEEDED_CALENDAR: list = []
_FINGERPRINT = text("SELECT (SELECT count(*) FROM calendar_years), (SELECT max(year) FROM calendar_years), "
                    "count(*), min(day), max(day), sum(CASE WHEN is_working THEN 1 ELSE 0 END), "
                    "(SELECT min(source) FROM calendar_years) FROM calendar_days")


def _calendar_fingerprint():
    return tuple(db.session.execute(_FINGERPRINT).one())


def _restore_calendar() -> None:
    if _calendar_fingerprint() == _SEEDED_CALENDAR[0]:
        return
    from casesys.workcalendar import seed_calendar

    db.session.execute(text("DELETE FROM calendar_days"))
    db.session.execute(text("DELETE FROM calendar_years"))
    seed_calendar()
    db.session.commit()


def empty_postgres(*then: str) -> None:
    """PostgreSQL keeps one database for every test: empty all but the reference tables (and run
    ``then``, e.g. removing reference rows a test added, once nothing refers to them)."""
    engine = create_engine(normalise_database_url(PG_URL))
    tables = [t.name for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
    with engine.begin() as conn:
        # audit_log refuses TRUNCATE (migration 0005); its owner may lift that, as here, in one transaction.
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate"))
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate"))
        for statement in then:
            conn.execute(text(statement))
    engine.dispose()


@pytest.fixture
def database_url(migrated_database, tmp_path):
    if PG_URL:
        empty_postgres()
        return PG_URL
    template = migrated_database.removeprefix("sqlite:///")
    copy = tmp_path / "casesys.sqlite3"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


class RequestClient(FlaskClient):
    """Each request runs in its own app context, as it would in a server.

    The test's own session is rolled back first, so it holds no SQLite lock and rereads
    fresh rows afterwards; tests commit what they set up.
    """

    def open(self, *args, **kwargs):
        db.session.rollback()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url):
    app = create_app(config_for(database_url))
    app.test_client_class = RequestClient
    with app.app_context():
        if PG_URL:
            _restore_calendar()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a committed user: make_user("name", "230100-market_regulation", "officer")."""
    from casesys.auth.services import create_user

    def make(username, agency_code="230100-market_regulation", *roles, password=PASSWORD):
        user = create_user(None, username=username, password=password, agency_code=agency_code,
                           roles=set(roles or ("officer",)))
        db.session.commit()
        return user

    return make


def csrf_token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username, password=PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def signed_in(client, make_user):
    """A test client signed in as a new user: signed_in("u", agency, *roles) -> client."""

    def sign_in(username, agency_code="230100-market_regulation", *roles):
        make_user(username, agency_code, *roles)
        response = login(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def web(app):
    """web("name") -> a test client of its own, signed in as that (existing) user."""

    def sign_in(username):
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client

    return sign_in


@pytest.fixture
def api_token(app):
    from casesys.auth.services import issue_api_token

    def issue(user) -> dict:
        token = issue_api_token(user)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return issue


class Actor:
    """A user driving the JSON API, for end-to-end workflow tests."""

    def __init__(self, client, user, headers):
        self.client, self.user, self.headers = client, user, headers

    def register(self, expect=201, **overrides) -> dict:
        from tests.factories import case_payload

        response = self.client.post("/api/v1/cases", json=case_payload(**overrides), headers=self.headers)
        assert response.status_code == expect, response.json
        return response.json

    def get(self, case_id, expect=200) -> dict:
        response = self.client.get(f"/api/v1/cases/{case_id}", headers=self.headers)
        assert response.status_code == expect, response.json
        return response.json

    def allowed(self, case_id) -> set[str]:
        return {t["name"] for t in self.get(case_id)["allowed_transitions"]}

    def fire(self, case_id, transition, fields=None, *, effective_on=None, version=None, expect=200) -> dict:
        """Fire a transition at the case's current version (unless ``version`` is given)."""
        if version is None:
            version = self.client.get(f"/api/v1/cases/{case_id}", headers=self.headers).json.get("version", 1)
        body = {"transition": transition, "expected_version": version, "fields": fields or {}}
        if effective_on is not None:
            body["effective_on"] = str(effective_on)
        response = self.client.post(f"/api/v1/cases/{case_id}/transitions", json=body, headers=self.headers)
        assert response.status_code == expect, response.json
        return response.json


@pytest.fixture
def actor(client, make_user, api_token):
    """actor("name", "230100-public_security", "agency_head") -> Actor using the API."""

    def make(username, agency_code="230100-market_regulation", *roles) -> Actor:
        user = make_user(username, agency_code, *roles)
        return Actor(client, user, api_token(user))

    return make
