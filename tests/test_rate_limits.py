"""Rate limits: log-in attempts per client address and per account, API requests per token;
429 with Retry-After, as a page or as the API's JSON error. Counted in the database."""

from __future__ import annotations

import pytest

from casesys import create_app
from casesys.auth.services import create_user, issue_api_token
from casesys.core import ratelimit
from casesys.extensions import db
from tests.conftest import PASSWORD, RequestClient, config_for, csrf_token

LIMITS = {"RATELIMIT_ENABLED": True, "CASESYS_RATELIMIT_LOGIN": "3 per minute", "CASESYS_RATELIMIT_API": "4 per minute"}


@pytest.fixture
def limited(database_url):
    """An app with the rate limits on (the other tests turn them off)."""
    app = create_app({**config_for(database_url), **LIMITS})
    app.test_client_class = RequestClient
    with app.app_context():
        for name in ("alice", "bob"):
            create_user(None, username=name, password=PASSWORD, agency_code="230100-market_regulation",
                        roles={"officer"})
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def _client(app, address="198.51.100.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _log_in(client, username, password="wrong-password"):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


def _assert_retry_after(response):
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_log_in_attempts_are_limited_per_address(limited):
    client = _client(limited)
    for name in ("alice", "bob", "carol"):  # three accounts: only the address's limit applies
        assert _log_in(client, name).status_code == 200
    refused = _log_in(client, "dave")
    _assert_retry_after(refused)
    page = refused.get_data(as_text=True)
    assert "429" in page and refused.headers["Retry-After"] in page
    assert client.get("/login").status_code == 200  # only attempts count
    assert _log_in(_client(limited, "198.51.100.2"), "alice", PASSWORD).status_code == 302  # another address


def test_log_in_attempts_are_limited_per_account_across_addresses(limited):
    for i in range(3):
        assert _log_in(_client(limited, f"203.0.113.{i}"), " Alice").status_code == 200
    refused = _log_in(_client(limited, "203.0.113.9"), "alice", PASSWORD)  # even the right password
    _assert_retry_after(refused)
    assert _log_in(_client(limited, "203.0.113.9"), "bob", PASSWORD).status_code == 302


def test_api_requests_are_limited_per_token(limited):
    from casesys.auth.models import User

    alice, bob = (db.session.scalar(db.select(User).where(User.username == n)) for n in ("alice", "bob"))
    first, second = ({"Authorization": f"Bearer {issue_api_token(u)}"} for u in (alice, bob))
    db.session.commit()
    client = _client(limited)
    # Refused requests count too: the counter is not rolled back with the request.
    statuses = [client.get(path, headers=first).status_code
                for path in ("/api/v1/workflows", "/api/v1/cases/999", "/api/v1/cases", "/api/v1/cases/998")]
    assert statuses == [200, 404, 200, 404]
    refused = client.get("/api/v1/workflows", headers=first)
    _assert_retry_after(refused)
    assert refused.json["error"]["code"] == "rate_limited"
    assert refused.headers["Retry-After"] in refused.json["error"]["message"]
    assert client.get("/api/v1/workflows", headers=second).status_code == 200  # another token, same address


def test_made_up_api_tokens_share_their_address_budget(limited):
    client = _client(limited)
    statuses = [client.get("/api/v1/workflows", headers={"Authorization": f"Bearer guess-{n}"}).status_code
                for n in range(5)]
    assert statuses == [401, 401, 401, 401, 429]


def test_the_database_storage_counts_fixed_windows(limited, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    storage = ratelimit.DatabaseStorage()
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get_expiry("k") == 1_000_060.0
    now[0] += 61  # the window is over: the next hit opens a new one
    assert storage.get("k") == 0
    assert storage.incr("k", 60, amount=2) == 2 and storage.get_expiry("k") == 1_000_121.0
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()
