"""The overdue lists: a head's agency (overdue and due soon), a supervisor's area (filters and
sorting), an officer's own cases; always within what the user may see."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from casesys.auth.models import User
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.reminders import queries
from casesys.workcalendar import load_calendar
from casesys.workflows.models import CaseClock
from tests.conftest import login

MR, QQ_MR, CR = "230100-market_regulation", "230200-market_regulation", "230100-copyright"


def _ago(days: int) -> str:
    return (today_in_china() - timedelta(days=days)).isoformat()


@pytest.fixture
def web(app):
    """web("name") -> a test client of its own, signed in as that (existing) user, in English."""

    def sign_in(username):
        db.session.rollback()
        user = db.session.scalar(select(User).where(User.username == username))
        user.locale = "en"
        db.session.commit()
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client

    return sign_in


@pytest.fixture
def world(actor, make_user):
    """Filing clocks (15 working days) on cases of three agencies in two cities:

    a    Harbin market regulation, officer 1, received 40 days ago: overdue
    f    Harbin market regulation, officer 2, 70 days ago: overdue
    soon Harbin market regulation, officer 1, due in 1–5 working days
    b    Harbin market regulation, officer 1, 3 days ago: not due for weeks
    e    Harbin copyright, 60 days ago: overdue
    d    Qiqihar market regulation, 50 days ago: overdue
    done Harbin market regulation, 80 days ago, clock stopped
    (ten days apart: even a long holiday cannot give two of them the same due date)
    """
    officer1 = actor("mr.officer1", MR, "officer")
    officer2 = actor("mr.officer2", MR, "officer")
    copyright_officer = actor("cr.officer", CR, "officer")
    qiqihar = actor("qq.officer", QQ_MR, "officer")
    make_user("mr.head", MR, "agency_head")
    make_user("hrb.supervisor", MR, "supervisor")  # a supervisor's scope is their agency's region
    make_user("prov.supervisor", "230000-coordination_office", "supervisor")

    calendar, today = load_calendar(), today_in_china()
    soon_received = calendar.subtract_working_days(today, 12)
    cases = {
        "a": officer1.register(received_on=_ago(40), title="案件A"),
        "f": officer2.register(received_on=_ago(70), title="案件F"),
        "soon": officer1.register(received_on=soon_received.isoformat(), title="即将到期"),
        "b": officer1.register(received_on=_ago(3), title="案件B"),
        "e": copyright_officer.register(received_on=_ago(60), ip_type="copyright", title="案件E"),
        "d": qiqihar.register(received_on=_ago(50), region="230200", title="案件D"),
        "done": officer1.register(received_on=_ago(80), title="已停止"),
    }
    owners = {"f": officer2, "e": copyright_officer, "d": qiqihar}
    clocks = {}
    for name, case in cases.items():
        detail = owners.get(name, officer1).get(case["id"])
        # the filing clock: SAMR's period, or a copyright bureau's own target
        (clock,) = [c for c in detail["clocks"] if c["key"] in ("filing_decision", "filing_follow_up")]
        clocks[name] = {"id": clock["id"], "due_on": date.fromisoformat(clock["due_on"]), "case": case}
    db.session.execute(update(CaseClock).where(CaseClock.id == clocks["done"]["id"])
                       .values(status="stopped", stopped_on=today))
    db.session.commit()

    # The fixture means what it says.
    for name in ("a", "f", "e", "d", "done"):
        assert clocks[name]["due_on"] < today, name
    assert 0 <= calendar.working_days_between(today, clocks["soon"]["due_on"]) <= 5
    assert clocks["soon"]["due_on"] >= today
    assert calendar.working_days_between(today, clocks["b"]["due_on"]) > 5
    assert len({clocks[n]["due_on"] for n in ("a", "f", "e", "d")}) == 4
    return clocks


def _rows(page: str) -> list[int]:
    """Clock ids of the overdue list, in page order."""
    return [int(i) for i in re.findall(r'<tr id="overdue-clock-(\d+)"', page)]


def _row(page: str, clock_id: int) -> str:
    return re.search(rf'<tr id="overdue-clock-{clock_id}"[^>]*>(.*?)</tr>', page, re.S).group(1)


def _ids(world, *names) -> list[int]:
    return [world[n]["id"] for n in names]


def test_head_sees_their_agencys_overdue_and_due_soon_clocks(world, web):
    page = web("mr.head").get("/overdue").get_data(as_text=True)
    # Sorted by due date: the oldest first; b (not due soon), e, d (other agencies) and the stopped one left out.
    assert _rows(page) == _ids(world, "f", "a", "soon")

    today = today_in_china()
    a = _row(page, world["a"]["id"])
    case = world["a"]["case"]
    assert f'href="/cases/{case["id"]}">{case["number"]}</a>' in a
    assert "Decide whether to file" in a
    assert "SAMR Administrative Penalty Procedure Art 18" in a
    assert world["a"]["due_on"].isoformat() in a
    assert f"{(today - world['a']['due_on']).days} days overdue" in a
    assert "mr.officer1" in a  # the assigned officer (display name defaults to the username)
    assert "mr.officer2" in _row(page, world["f"]["id"])

    left = load_calendar().working_days_between(today, world["soon"]["due_on"])
    soon = _row(page, world["soon"]["id"])
    assert ("Due today" if left == 0 else f"{left} working day") in soon
    assert "overdue" not in soon
    assert 'class="agency"' not in page  # agency and region columns are the supervisors'


def test_city_supervisor_sees_every_overdue_clock_of_their_city_only(world, web):
    page = web("hrb.supervisor").get("/overdue").get_data(as_text=True)
    assert _rows(page) == _ids(world, "f", "e", "a")  # not d (Qiqihar), not soon, b or the stopped one
    e = _row(page, world["e"]["id"])
    assert "Harbin Copyright Administration" in e
    assert "Harbin" in re.search(r'<td class="region">([^<]*)</td>', e).group(1)

    outside = web("hrb.supervisor").get("/overdue?region=230200").get_data(as_text=True)
    assert "The region is outside your area." in outside
    assert world["d"]["id"] not in _rows(outside)


def test_province_supervisor_filters_by_agency_kind_and_region(world, web):
    supervisor = web("prov.supervisor")
    everything = _rows(supervisor.get("/overdue").get_data(as_text=True))
    assert everything == _ids(world, "f", "e", "d", "a")
    d = _row(supervisor.get("/overdue").get_data(as_text=True), world["d"]["id"])
    assert "Qiqihar" in re.search(r'<td class="region">([^<]*)</td>', d).group(1)

    assert _rows(supervisor.get("/overdue?agency_kind=copyright").get_data(as_text=True)) == _ids(world, "e")
    assert _rows(supervisor.get("/overdue?region=230200").get_data(as_text=True)) == _ids(world, "d")
    assert _rows(supervisor.get("/overdue?region=230100&agency_kind=market_regulation").get_data(as_text=True)
                 ) == _ids(world, "f", "a")
    assert _rows(supervisor.get("/overdue?agency_kind=court").get_data(as_text=True)) == []
    unknown = supervisor.get("/overdue?agency_kind=bogus").get_data(as_text=True)
    assert "Unknown agency kind." in unknown
    assert _rows(unknown) == everything


@pytest.mark.parametrize("query, expected", [
    ("sort=due_on&dir=asc", ["f", "e", "d", "a"]),
    ("sort=due_on&dir=desc", ["a", "d", "e", "f"]),
    ("sort=days_overdue&dir=desc", ["f", "e", "d", "a"]),
    ("sort=days_overdue&dir=asc", ["a", "d", "e", "f"]),
    # English names: Harbin Copyright < Harbin Market Regulation < Qiqihar Market Regulation; ties by due date.
    ("sort=agency&dir=asc", ["e", "f", "a", "d"]),
    ("sort=agency&dir=desc", ["d", "f", "a", "e"]),
    ("sort=region&dir=asc", ["f", "e", "a", "d"]),
    ("sort=region&dir=desc", ["d", "f", "e", "a"]),
    ("sort=drop%20table&dir=sideways", ["f", "e", "d", "a"]),  # not on the whitelist: the default
])
def test_supervisor_sorts_by_the_whitelisted_columns(world, web, query, expected):
    page = web("prov.supervisor").get(f"/overdue?{query}").get_data(as_text=True)
    assert _rows(page) == _ids(world, *expected)


def test_sort_links_keep_the_filters_and_flip_the_direction(world, web):
    page = web("prov.supervisor").get("/overdue?agency_kind=market_regulation&sort=agency").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" id="sort-agency"', page).group(1).replace("&amp;", "&")
    assert "agency_kind=market_regulation" in link and "dir=desc" in link
    assert "dir=asc" in re.search(r'href="([^"]+)" id="sort-region"', page).group(1)


def test_officer_sees_only_their_own_assigned_overdue_clocks(world, web):
    assert _rows(web("mr.officer1").get("/overdue").get_data(as_text=True)) == _ids(world, "a")
    assert _rows(web("mr.officer2").get("/overdue").get_data(as_text=True)) == _ids(world, "f")
    assert _rows(web("qq.officer").get("/overdue").get_data(as_text=True)) == _ids(world, "d")


def test_confidential_cases_are_listed_for_those_who_may_see_them_only(actor, make_user, web):
    officer = actor("secret.officer", MR, "officer")
    make_user("mr.colleague", MR, "officer")
    make_user("mr.head", MR, "agency_head")
    make_user("hrb.supervisor", MR, "supervisor")
    make_user("qq.supervisor", QQ_MR, "supervisor")
    case = officer.register(received_on=_ago(40), confidential=True, title="保密案件")
    clock_id = officer.get(case["id"])["clocks"][0]["id"]
    for username in ("secret.officer", "mr.head", "hrb.supervisor"):
        assert _rows(web(username).get("/overdue").get_data(as_text=True)) == [clock_id], username
    for username in ("mr.colleague", "qq.supervisor"):
        page = web(username).get("/overdue").get_data(as_text=True)
        assert _rows(page) == [], username
        assert case["number"] not in page


def test_long_lists_are_paged_with_a_note(world, web, monkeypatch):
    monkeypatch.setattr(queries, "OVERDUE_PAGE", 3)
    supervisor = web("prov.supervisor")
    first = supervisor.get("/overdue").get_data(as_text=True)
    assert _rows(first) == _ids(world, "f", "e", "d")
    assert "Only 3 clocks are shown on a page" in first
    following = re.search(r'href="([^"]+)" id="next-page"', first).group(1).replace("&amp;", "&")
    second = supervisor.get(following).get_data(as_text=True)
    assert _rows(second) == _ids(world, "a")
    assert "Only 3 clocks" not in second
    assert 'id="next-page"' not in second


def test_admins_have_no_overdue_page(make_user, web):
    make_user("root", "230000-coordination_office", "admin")
    assert web("root").get("/overdue").status_code == 403
