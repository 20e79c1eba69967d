"""Administrators manage users: create, change roles and agency, deactivate, reset passwords."""

from __future__ import annotations

import re

from sqlalchemy import select

from casesys.auth.models import User
from casesys.extensions import db
from tests.conftest import PASSWORD, csrf_token, login


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def test_only_admins_reach_user_management(signed_in):
    client = signed_in("officer", "230100-market_regulation", "officer")
    assert client.get("/admin/users").status_code == 403


def test_admin_creates_a_user_who_can_sign_in(app, signed_in):
    admin = signed_in("root", "230000-coordination_office", "admin")
    token = csrf_token(admin, "/admin/users/new")
    response = admin.post("/admin/users/new", data={
        "csrf_token": token, "username": "hrb.new", "display_name": "新执法员", "email": "",
        "agency": "230100-market_regulation", "roles": ["officer", "agency_head"], "is_active": "y",
        "password": "initial-password-1"})
    assert response.status_code == 302
    assert _user("hrb.new").roles == {"officer", "agency_head"}
    assert "hrb.new" in admin.get("/admin/users").get_data(as_text=True)
    assert login(app.test_client(), "hrb.new", "initial-password-1").status_code == 302

    duplicate = admin.post("/admin/users/new", data={
        "csrf_token": token, "username": "hrb.new", "display_name": "x", "agency": "230100-market_regulation",
        "roles": ["officer"], "password": "initial-password-1"})
    assert duplicate.status_code == 200 and "已存在" in duplicate.get_data(as_text=True)


def test_deactivating_ends_sessions_and_tokens(app, signed_in, make_user, api_token):
    admin = signed_in("root", "230000-coordination_office", "admin")
    target = make_user("leaving", "230100-market_regulation", "officer")
    headers = api_token(target)
    their_browser = app.test_client()
    login(their_browser, "leaving")
    assert their_browser.get("/cases/").status_code == 200

    token = csrf_token(admin, f"/admin/users/{target.id}")
    response = admin.post(f"/admin/users/{target.id}", data={
        "csrf_token": token, "username": "leaving", "display_name": "Leaving", "email": "",
        "agency": "230200-market_regulation", "roles": ["officer"]})  # is_active unticked
    assert response.status_code == 302
    user = _user("leaving")
    assert not user.is_active and user.agency.code == "230200-market_regulation"
    assert their_browser.get("/cases/").status_code == 302
    assert app.test_client().get("/api/v1/cases", headers=headers).status_code == 401
    assert login(app.test_client(), "leaving").status_code == 200  # refused


def test_reset_password_clears_a_lockout(app, signed_in, make_user):
    admin = signed_in("root", "230000-coordination_office", "admin")
    target = make_user("forgetful")
    for _ in range(5):
        login(app.test_client(), "forgetful", "wrong-password")
    assert _user("forgetful").locked_until is not None
    token = csrf_token(admin, f"/admin/users/{target.id}")
    too_short = admin.post(f"/admin/users/{target.id}/password", data={"csrf_token": token, "password": "x"})
    assert too_short.status_code == 422
    # The account form beside it still shows the stored values, not blanks.
    assert re.search(r'<input checked[^>]*name="is_active"', too_short.get_data(as_text=True))
    response = admin.post(f"/admin/users/{target.id}/password",
                          data={"csrf_token": token, "password": "brand-new-password"})
    assert response.status_code == 302
    assert _user("forgetful").locked_until is None
    assert login(app.test_client(), "forgetful", "brand-new-password").status_code == 302
    assert login(app.test_client(), "forgetful", PASSWORD).status_code == 200


def test_city_admin_manages_only_their_region(app, signed_in, make_user):
    harbin_admin = signed_in("hrb.admin", "230100-market_regulation", "admin")
    outsider = make_user("qqhr.user", "230200-market_regulation", "officer")
    insider = make_user("hrb.user", "230100-copyright", "officer")
    listing = harbin_admin.get("/admin/users").get_data(as_text=True)
    assert "hrb.user" in listing and "qqhr.user" not in listing
    assert harbin_admin.get(f"/admin/users/{outsider.id}").status_code == 404
    assert harbin_admin.get(f"/admin/users/{insider.id}").status_code == 200
    form = harbin_admin.get("/admin/users/new").get_data(as_text=True)
    agencies = set(re.findall(r'<option value="([^"]+)"', form))
    assert "230100-copyright" in agencies and "230200-market_regulation" not in agencies


def test_admin_cannot_lock_themselves_out(signed_in):
    admin = signed_in("root", "230000-coordination_office", "admin")
    me = _user("root")
    token = csrf_token(admin, f"/admin/users/{me.id}")
    response = admin.post(f"/admin/users/{me.id}", data={
        "csrf_token": token, "username": "root", "display_name": "root", "email": "",
        "agency": "230000-coordination_office", "roles": ["supervisor"], "is_active": "y"})
    assert response.status_code == 200
    assert _user("root").roles == {"admin"}
