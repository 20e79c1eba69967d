"""Log-in, lockout, server-side log-out, language choice and CSRF."""

from __future__ import annotations

from datetime import timedelta

from casesys.auth.models import LoginSession, User
from casesys.core.types import utcnow
from casesys.extensions import db
from tests.conftest import PASSWORD, csrf_token, login


def test_pages_need_a_log_in(client):
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_login_and_wrong_password(client, make_user):
    make_user("hrb.a")
    wrong = login(client, "hrb.a", "not-the-password")
    assert wrong.status_code == 200
    assert "用户名或密码错误" in wrong.get_data(as_text=True) or "Wrong" in wrong.get_data(as_text=True)
    assert login(client, "HRB.A ").status_code == 302  # user names are case- and space-insensitive


def test_unknown_and_inactive_users_get_the_same_answer(client, make_user):
    user = make_user("gone")
    user.is_active = False
    db.session.commit()
    unknown = login(client, "nobody", PASSWORD).get_data(as_text=True)
    inactive = login(client, "gone", PASSWORD).get_data(as_text=True)
    assert "用户名或密码错误" in unknown and "用户名或密码错误" in inactive


def test_five_failures_lock_the_account_for_fifteen_minutes(client, make_user):
    make_user("target")
    for _ in range(5):
        login(client, "target", "guess-guess")
    user = db.session.scalar(db.select(User).where(User.username == "target"))
    db.session.refresh(user)
    assert user.locked_until is not None
    assert timedelta(minutes=14) < user.locked_until - utcnow() <= timedelta(minutes=15)

    refused = login(client, "target", PASSWORD)  # even the right password is refused now
    assert refused.status_code == 200
    assert "锁定" in refused.get_data(as_text=True)

    user.locked_until = utcnow() - timedelta(seconds=1)  # fifteen minutes later
    db.session.commit()
    assert login(client, "target", PASSWORD).status_code == 302


def test_lockout_is_shared_by_every_worker(app, make_user):
    """Failures are counted in the database: two separate clients (workers) add up."""
    make_user("shared")
    first, second = app.test_client(), app.test_client()
    for attempt in range(5):
        login(first if attempt % 2 else second, "shared", "wrong-wrong")
    assert db.session.scalar(db.select(User.locked_until).where(User.username == "shared")) is not None


def test_logout_invalidates_the_session_on_the_server(app, client, make_user):
    make_user("leaver")
    login(client, "leaver")
    stolen_cookie = client.get_cookie("casesys_session").value
    assert client.get("/cases/").status_code == 200

    token = csrf_token(client, "/account/password")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(db.select(LoginSession.revoked_at)) is not None

    replay = app.test_client()
    replay.set_cookie("casesys_session", stolen_cookie)
    assert replay.get("/cases/").status_code == 302  # the copied cookie no longer signs anyone in


def test_no_long_lived_remember_cookie(client, make_user):
    make_user("plain")
    response = login(client, "plain")
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("remember_token") for c in cookies)
    session_cookie = next(c for c in cookies if c.startswith("casesys_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_login_form_requires_csrf(client, make_user):
    make_user("csrf")
    response = client.post("/login", data={"username": "csrf", "password": PASSWORD})
    assert response.status_code == 400


def test_next_parameter_does_not_redirect_off_site(client, make_user):
    make_user("nexter")
    token = csrf_token(client, "/login")
    response = client.post("/login?next=https://evil.example/", data={
        "username": "nexter", "password": PASSWORD, "csrf_token": token})
    assert response.location == "/cases/"


def test_accept_language_picks_the_first_language_then_the_user_choice_sticks(app, make_user):
    make_user("polyglot")
    english_browser = app.test_client()
    english_browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9,zh-CN;q=0.5"
    assert "Sign in" in english_browser.get("/login").get_data(as_text=True)
    chinese_browser = app.test_client()
    chinese_browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9,en;q=0.8"
    assert "登录" in chinese_browser.get("/login").get_data(as_text=True)
    assert "登录" in app.test_client().get("/login").get_data(as_text=True)  # no header: Chinese

    login(chinese_browser, "polyglot")
    token = csrf_token(chinese_browser, "/account/password")
    chinese_browser.post("/language", data={"locale": "en", "csrf_token": token, "next": "/cases/"})
    assert "Cases" in chinese_browser.get("/cases/").get_data(as_text=True)

    # Remembered per user: a new log-in from the Chinese browser is still in English.
    other_device = app.test_client()
    other_device.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    login(other_device, "polyglot")
    assert "Register a case" in other_device.get("/cases/").get_data(as_text=True)


def test_change_own_password(client, make_user):
    make_user("changer")
    login(client, "changer")
    token = csrf_token(client, "/account/password")
    short = client.post("/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                   "new_password": "short", "confirm": "short"})
    assert short.status_code == 200 and "error" in short.get_data(as_text=True)
    ok = client.post("/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                "new_password": "a-new-long-password",
                                                "confirm": "a-new-long-password"})
    assert ok.status_code == 302
    assert client.get("/cases/").status_code == 200  # still signed in on this device
    fresh = client.application.test_client()
    assert login(fresh, "changer", "a-new-long-password").status_code == 302


def test_a_nul_character_in_a_form_is_a_clear_400(client, make_user):
    make_user("nul.user")
    response = login(client, "nul\x00user")
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True) or "空字符" in response.get_data(as_text=True)
