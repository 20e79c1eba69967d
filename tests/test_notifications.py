"""The notification inbox: the page, the header's unread count, marking read, and the JSON API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casesys.auth.models import User
from casesys.core.types import today_in_china, utcnow
from casesys.extensions import db
from casesys.reminders.models import Notification
from casesys.scheduler.runner import tick
from tests.conftest import csrf_token, login

MR = "230100-market_regulation"
OFFICER_THRESHOLDS = {"before_3", "before_1", "due", "overdue"}


def _english(username: str) -> None:
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.username == username))
    user.locale = "en"
    db.session.commit()


@pytest.fixture
def web(app):
    """web("name") -> a test client of its own, signed in as that (existing) user, in English."""

    def sign_in(username):
        _english(username)
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client

    return sign_in


@pytest.fixture
def swept(app, actor, make_user):
    """An overdue filing clock (received 40 days ago), swept: the officer has four reminders,
    the head the escalation, the province's supervisor the supervisors' escalation."""
    officer = actor("mr.officer", MR, "officer")
    head = actor("mr.head", MR, "agency_head")
    supervisor = actor("prov.supervisor", "230000-coordination_office", "supervisor")
    stranger = actor("qq.officer", "230200-market_regulation", "officer")
    case = officer.register(received_on=(today_in_china() - timedelta(days=40)).isoformat())
    result = tick(app, utcnow())
    assert result["reminders"].notifications == 6
    return {"officer": officer, "head": head, "supervisor": supervisor, "stranger": stranger, "case": case}


def _ids(username, **where) -> list[int]:
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.username == username))
    stmt = select(Notification.id).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    for column, value in where.items():
        stmt = stmt.where(getattr(Notification, column) == value)
    return list(db.session.scalars(stmt))


def _notification(notification_id) -> Notification:
    db.session.rollback()
    return db.session.get(Notification, notification_id)


def _rows(page: str) -> list[dict]:
    """The inbox rows in page order: id, read or unread, the threshold in words, the row's HTML."""
    rows = []
    for nid, cls, body in re.findall(r'<tr id="notification-(\d+)" class="(\w+)">(.*?)</tr>', page, re.S):
        words = re.search(r'<span class="threshold [^"]+">([^<]+)</span>', body).group(1)
        rows.append({"id": int(nid), "class": cls, "words": words, "html": body})
    return rows


def _unread_badge(page: str) -> int | None:
    match = re.search(r'id="nav-notifications">[^<]*(?:<span class="count" id="unread-count"[^>]*>(\d+)</span>)?',
                      page)
    assert match, "no Notifications link in the header"
    return int(match.group(1)) if match.group(1) else None


def test_each_user_sees_only_their_own_notifications_with_case_clock_threshold_and_date(swept, web):
    case = swept["case"]
    due_on = swept["officer"].get(case["id"])["clocks"][0]["due_on"]

    page = web("mr.officer").get("/notifications").get_data(as_text=True)
    rows = _rows(page)
    assert [r["id"] for r in rows] == _ids("mr.officer")  # all of them, newest first
    assert {r["words"] for r in rows} == {"3 working days left", "1 working day left", "Due today", "Overdue"}
    for row in rows:
        assert f'href="/cases/{case["id"]}">{case["number"]}</a>' in row["html"]
        assert case["title"] in row["html"]
        assert "Decide whether to file" in row["html"]
        assert due_on in row["html"]
        assert row["class"] == "unread"

    head_rows = _rows(web("mr.head").get("/notifications").get_data(as_text=True))
    assert [r["words"] for r in head_rows] == ["Overdue: for the agency head"]
    assert [r["id"] for r in head_rows] == _ids("mr.head")

    supervisor_rows = _rows(web("prov.supervisor").get("/notifications").get_data(as_text=True))
    assert [r["words"] for r in supervisor_rows] == ["Overdue 3+ working days: for supervisors"]

    stranger_page = web("qq.officer").get("/notifications").get_data(as_text=True)
    assert _rows(stranger_page) == []
    assert case["number"] not in stranger_page
    assert "You have no notifications." in stranger_page


def test_header_shows_the_unread_count(swept, web):
    officer = web("mr.officer")
    assert _unread_badge(officer.get("/cases/").get_data(as_text=True)) == 4
    assert _unread_badge(web("mr.head").get("/inbox").get_data(as_text=True)) == 1
    assert _unread_badge(web("qq.officer").get("/cases/").get_data(as_text=True)) is None

    first = _ids("mr.officer")[0]
    officer.post(f"/notifications/{first}/read", data={"csrf_token": csrf_token(officer, "/notifications")})
    assert _unread_badge(officer.get("/cases/").get_data(as_text=True)) == 3


def test_mark_read_marks_one_and_is_idempotent(swept, web):
    officer = web("mr.officer")
    target = _ids("mr.officer", threshold="overdue")[0]
    token = csrf_token(officer, "/notifications")

    response = officer.post(f"/notifications/{target}/read", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications")
    first_read_at = _notification(target).read_at
    assert first_read_at is not None
    assert [n for n in _ids("mr.officer") if _notification(n).read_at is not None] == [target]

    rows = {r["id"]: r for r in _rows(officer.get("/notifications").get_data(as_text=True))}
    assert rows[target]["class"] == "read"
    assert f'id="mark-read-{target}"' not in rows[target]["html"]
    assert {r["class"] for i, r in rows.items() if i != target} == {"unread"}

    again = officer.post(f"/notifications/{target}/read", data={"csrf_token": token})
    assert again.status_code == 302
    assert _notification(target).read_at == first_read_at


def test_marking_someone_elses_notification_is_not_found(swept, web):
    officer = web("mr.officer")
    heads = _ids("mr.head")
    response = officer.post(f"/notifications/{heads[0]}/read",
                            data={"csrf_token": csrf_token(officer, "/notifications")})
    assert response.status_code == 404
    assert _notification(heads[0]).read_at is None
    missing = officer.post("/notifications/999999/read", data={"csrf_token": csrf_token(officer, "/notifications")})
    assert missing.status_code == 404


def test_mark_read_needs_the_csrf_token(swept, web):
    officer = web("mr.officer")
    target = _ids("mr.officer")[0]
    assert officer.post(f"/notifications/{target}/read").status_code == 400
    assert officer.post("/notifications/read").status_code == 400
    assert _notification(target).read_at is None


def test_mark_all_read_marks_only_the_callers(swept, web):
    officer = web("mr.officer")
    response = officer.post("/notifications/read", data={"csrf_token": csrf_token(officer, "/notifications")},
                            follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "4 notifications marked read." in page
    assert {r["class"] for r in _rows(page)} == {"read"}
    assert _unread_badge(page) is None
    assert all(_notification(n).read_at is not None for n in _ids("mr.officer"))
    assert _notification(_ids("mr.head")[0]).read_at is None
    assert _notification(_ids("prov.supervisor")[0]).read_at is None


def test_unread_filter_and_keyset_pages(swept, web, app):
    officer = web("mr.officer")
    ids = _ids("mr.officer")
    officer.post(f"/notifications/{ids[1]}/read", data={"csrf_token": csrf_token(officer, "/notifications")})

    unread = _rows(officer.get("/notifications?unread=1").get_data(as_text=True))
    assert [r["id"] for r in unread] == [ids[0], ids[2], ids[3]]

    app.config["CASESYS_PAGE_SIZE"] = 3
    first = officer.get("/notifications").get_data(as_text=True)
    assert [r["id"] for r in _rows(first)] == ids[:3]
    older = re.search(r'href="([^"]+)" id="older"', first).group(1).replace("&amp;", "&")
    assert f"after={ids[2]}" in older
    second = officer.get(older).get_data(as_text=True)
    assert [r["id"] for r in _rows(second)] == ids[3:]
    assert 'id="older"' not in second


def test_a_case_no_longer_visible_keeps_its_notification_but_not_its_number(swept, make_user, web):
    other = make_user("other.officer", "230200-market_regulation", "officer")
    db.session.add(Notification(user_id=other.id, case_id=swept["case"]["id"], threshold="overdue"))
    db.session.commit()
    page = web("other.officer").get("/notifications").get_data(as_text=True)
    rows = _rows(page)
    assert [r["words"] for r in rows] == ["Overdue"]
    assert "A case you can no longer open" in rows[0]["html"]
    assert swept["case"]["number"] not in page


def test_admins_have_no_notification_pages(make_user, web):
    make_user("root", "230000-coordination_office", "admin")
    assert web("root").get("/notifications").status_code == 403


# --- API -----------------------------------------------------------------------------------


def test_api_lists_the_callers_notifications_newest_first(swept):
    officer, head = swept["officer"], swept["head"]
    response = officer.client.get("/api/v1/notifications", headers=officer.headers)
    assert response.status_code == 200
    body = response.json
    assert body["next_cursor"] is None
    assert [i["id"] for i in body["items"]] == _ids("mr.officer")
    clock_id = officer.get(swept["case"]["id"])["clocks"][0]["id"]
    due_on = officer.get(swept["case"]["id"])["clocks"][0]["due_on"]
    for item in body["items"]:
        assert set(item) == {"id", "case_id", "clock_id", "threshold", "due_on", "created_at", "read"}
        assert (item["case_id"], item["clock_id"], item["due_on"], item["read"]) == (
            swept["case"]["id"], clock_id, due_on, False)
    assert {i["threshold"] for i in body["items"]} == OFFICER_THRESHOLDS

    head_items = head.client.get("/api/v1/notifications", headers=head.headers).json["items"]
    assert [(i["id"], i["threshold"]) for i in head_items] == [(_ids("mr.head")[0], "escalate_head")]
    stranger = swept["stranger"]
    assert stranger.client.get("/api/v1/notifications", headers=stranger.headers).json["items"] == []


def test_api_mark_read_is_idempotent_and_only_for_the_caller(swept):
    officer, head = swept["officer"], swept["head"]
    target = _ids("mr.officer")[2]
    response = officer.client.post(f"/api/v1/notifications/{target}/read", headers=officer.headers)
    assert response.status_code == 200
    assert response.json["id"] == target
    assert response.json["read"] is True
    read_at = _notification(target).read_at
    assert read_at is not None

    again = officer.client.post(f"/api/v1/notifications/{target}/read", headers=officer.headers)
    assert again.status_code == 200
    assert again.json["read"] is True
    assert _notification(target).read_at == read_at

    heads = _ids("mr.head")[0]
    refused = officer.client.post(f"/api/v1/notifications/{heads}/read", headers=officer.headers)
    assert refused.status_code == 404
    assert refused.json["error"]["code"] == "not_found"
    assert _notification(heads).read_at is None
    assert head.client.post(f"/api/v1/notifications/{heads}/read", headers=head.headers).status_code == 200
    assert officer.client.post(f"/api/v1/notifications/{target}/read").status_code == 401


def test_api_unread_filter_and_cursor(swept):
    officer = swept["officer"]
    ids = _ids("mr.officer")
    officer.client.post(f"/api/v1/notifications/{ids[0]}/read", headers=officer.headers)

    def get(query):
        response = officer.client.get(f"/api/v1/notifications{query}", headers=officer.headers)
        assert response.status_code == 200, response.json
        return response.json

    assert [i["id"] for i in get("?unread=true")["items"]] == ids[1:]
    assert [i["id"] for i in get("?unread=false")["items"]] == ids[:1]
    assert {i["read"] for i in get("?unread=false")["items"]} == {True}

    first = get("?limit=3")
    assert [i["id"] for i in first["items"]] == ids[:3]
    assert first["next_cursor"]
    second = get(f"?limit=3&cursor={first['next_cursor']}")
    assert [i["id"] for i in second["items"]] == ids[3:]
    assert second["next_cursor"] is None
    unread_pages = get("?unread=true&limit=2")
    assert [i["id"] for i in unread_pages["items"]] == ids[1:3]


@pytest.mark.parametrize("query, field", [
    ("?limit=0", "limit"), ("?limit=201", "limit"), ("?limit=x", "limit"),
    ("?cursor=!!", "cursor"), ("?unread=maybe", "unread"), ("?colour=red", "colour"),
])
def test_api_refuses_bad_query_parameters(swept, query, field):
    officer = swept["officer"]
    response = officer.client.get(f"/api/v1/notifications{query}", headers=officer.headers)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_api_notification_endpoints_are_in_the_openapi_document(swept):
    officer = swept["officer"]
    document = officer.client.get("/api/v1/openapi.json", headers=officer.headers).json
    listing = document["paths"]["/notifications"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/NotificationListOut")
    assert {p["name"] for p in listing["parameters"]} == {"unread", "cursor", "limit"}
    read = document["paths"]["/notifications/{notification_id}/read"]["post"]
    assert "404" in read["responses"]
    assert read["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/NotificationOut")
    item = document["components"]["schemas"]["NotificationOut"]["properties"]
    assert set(item) == {"id", "case_id", "clock_id", "threshold", "due_on", "created_at", "read"}
