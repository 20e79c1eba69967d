"""Behind reverse proxies (CASESYS_TRUSTED_PROXIES=N) the client's address comes from
X-Forwarded-For: the audit log records it and rate limits count it. Without, the header is ignored."""

from __future__ import annotations

import pytest

from casesys import create_app
from casesys.audit.models import AuditEntry
from casesys.auth.services import create_user
from casesys.config import ConfigError, from_environment
from casesys.extensions import db
from tests.conftest import PASSWORD, RequestClient, config_for, csrf_token

PROXY, CLIENT = "10.0.0.5", "203.0.113.50"


@pytest.fixture
def make_app(database_url):
    made = []

    def make(**config):
        app = create_app({**config_for(database_url), **config})
        app.test_client_class = RequestClient
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _log_in_through_proxy(app, username="hrb.a", password=PASSWORD, forwarded_for=CLIENT):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROXY
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       headers={"X-Forwarded-For": forwarded_for})


@pytest.mark.parametrize(("hops", "recorded"), [(1, CLIENT), (0, PROXY)])
def test_the_audit_log_records_the_forwarded_address_only_behind_trusted_proxies(make_app, hops, recorded):
    app = make_app(CASESYS_TRUSTED_PROXIES=hops)
    with app.app_context():
        create_user(None, username="hrb.a", password=PASSWORD, agency_code="230100-market_regulation",
                    roles={"officer"})
        db.session.commit()
        assert _log_in_through_proxy(app).status_code == 302
        login = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "user.login"))
        assert login.remote_addr == recorded


def test_rate_limits_count_the_forwarded_address(make_app):
    app = make_app(CASESYS_TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True, CASESYS_RATELIMIT_LOGIN="2 per minute")
    with app.app_context():
        for name in ("a1", "a2"):  # different accounts: only the address's limit applies
            assert _log_in_through_proxy(app, name, "wrong-password").status_code == 200
        assert _log_in_through_proxy(app, "a3", "wrong-password").status_code == 429
        # Another client behind the same proxy has its own budget.
        assert _log_in_through_proxy(app, "a4", "wrong-password", forwarded_for="203.0.113.51").status_code == 200


def test_the_number_of_proxies_must_be_a_number():
    base = {"CASESYS_ENV": "development", "CASESYS_AUDIT_KEY": "k" * 32}
    assert from_environment(base)["CASESYS_TRUSTED_PROXIES"] == 0
    assert from_environment({**base, "CASESYS_TRUSTED_PROXIES": "2"})["CASESYS_TRUSTED_PROXIES"] == 2
    for bad in ("-1", "one", "２"):
        with pytest.raises(ConfigError):
            from_environment({**base, "CASESYS_TRUSTED_PROXIES": bad})
