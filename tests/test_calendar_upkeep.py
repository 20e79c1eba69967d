"""Calendar upkeep (DOMAIN §4): load a year by command or admin page, show it, and recompute the
open deadlines that depend on it, with an audit entry each.

The 2027 days below are PLACEHOLDERS made up for the tests, not the State Council's notice.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from casesys.audit.models import AuditEntry
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.workcalendar.models import CalendarDay, CalendarYear
from casesys.workflows.models import CaseClock
from tests.conftest import csrf_token

D = date.fromisoformat
MR = "230100-market_regulation"
ADMIN_AGENCY = "230000-coordination_office"
ONE_DAY = timedelta(days=1)

# Placeholder 2027 data (2027-01-01 is a Friday, 01-02 a Saturday, 02-06 a Saturday, 02-08 a Monday).
GOOD_CSV = ("date,type,name\n"
            "2027-01-01,holiday,placeholder A\n"
            "2027-02-06,workday,placeholder B\n"
            "2027-02-08,holiday,placeholder C\n")


def _unload(year: int) -> None:
    """Make ``year`` not loaded, whatever the installed chinesecalendar covers (test set-up)."""
    db.session.execute(delete(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))))
    db.session.execute(delete(CalendarYear).where(CalendarYear.year == year))
    db.session.commit()


def _ensure_loaded(year: int) -> None:
    if db.session.get(CalendarYear, year) is None:
        db.session.add(CalendarYear(year=year, source="test set-up"))
        db.session.commit()


def _days(year: int) -> dict[date, tuple[bool, str | None]]:
    db.session.rollback()
    rows = db.session.scalars(select(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1),
                                                                              date(year, 12, 31))))
    return {r.day: (r.is_working, r.name) for r in rows}


def _loaded(year: int) -> CalendarYear | None:
    db.session.rollback()
    return db.session.get(CalendarYear, year)


def _audits(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.fixture(autouse=True)
def no_2027(app):
    _unload(2027)


# --- flask calendar import / show ---------------------------------------------------------------

def test_import_csv_with_bom_loads_the_year(runner, tmp_path):
    path = tmp_path / "notice.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_CSV.replace("\n", "\r\n").encode())
    result = runner.invoke(args=["calendar", "import", str(path), "--source", "placeholder notice"])
    assert result.exit_code == 0, result.output
    assert "calendar 2027: 3 days loaded (2 holidays, 1 make-up working days)" in result.output
    assert "clocks recomputed: 0" in result.output
    assert _days(2027) == {D("2027-01-01"): (False, "placeholder A"), D("2027-02-06"): (True, "placeholder B"),
                           D("2027-02-08"): (False, "placeholder C")}
    assert _loaded(2027).source == "placeholder notice"
    [entry] = _audits("calendar.load")
    assert entry.object_id == "2027" and entry.details["days"] == 3 and entry.details["source"] == "placeholder notice"


def test_import_replaces_the_year_and_defaults_the_source_to_the_file_name(runner, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text(GOOD_CSV, encoding="utf-8")
    assert runner.invoke(args=["calendar", "import", str(first)]).exit_code == 0
    second = tmp_path / "second.csv"
    second.write_text("date,type,name\n2027-10-01,holiday,placeholder D\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(second), "--year", "2027"])
    assert result.exit_code == 0, result.output
    assert _days(2027) == {D("2027-10-01"): (False, "placeholder D")}
    assert _loaded(2027).source == "second.csv"
    assert [e.details["replaced_days"] for e in _audits("calendar.load")] == [None, 3]


def test_import_bad_csv_reports_every_bad_line_and_loads_nothing(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("date,type,name\n"
                    "2027-01-01,holiday,ok\n"  # line 2 fine
                    "2027-13-01,holiday,x\n"  # line 3: no such date
                    "2027-01-04,vacation,x\n"  # line 4: unknown type
                    "2027-01-05,workday,x\n"  # line 5: a Tuesday cannot be a make-up day
                    "2026-12-31,holiday,x\n"  # line 6: not in 2027
                    "\n"  # line 7: blank, skipped
                    "2027-01-01,holiday,again\n"  # line 8: duplicate of line 2
                    "2027-01-09,holiday\n", encoding="utf-8")  # line 9: two values
    result = runner.invoke(args=["calendar", "import", str(path), "--year", "2027"])
    assert result.exit_code == 1
    out = result.output
    assert "nothing loaded: 6 problem(s)" in out
    assert "line 3: 2027-13-01 is not a date in the form YYYY-MM-DD" in out
    assert "line 4: the type must be holiday or workday, not vacation" in out
    assert "line 5: 2027-01-05 is a weekday: a make-up working day must be a Saturday or Sunday" in out
    assert "line 6: 2026-12-31 is not in 2027" in out
    assert "line 8: 2027-01-01 is already given at line 2" in out
    assert "line 9: expected 3 values (date,type,name), found 2" in out
    assert "line 2:" not in out and "line 7:" not in out
    assert _days(2027) == {} and _loaded(2027) is None and _audits("calendar.load") == []


def test_import_csv_without_header_or_not_utf8(runner, tmp_path):
    headless = tmp_path / "headless.csv"
    headless.write_text("2027-01-01,holiday,x\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(headless), "--year", "2027"])
    assert result.exit_code == 1 and "line 1: the first line must be the header date,type,name" in result.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes("date,type,name\n2027-01-01,holiday,f\u00eate\n".encode("latin-1"))
    result = runner.invoke(args=["calendar", "import", str(latin)])
    assert result.exit_code == 1 and "not UTF-8" in result.output
    assert _loaded(2027) is None


def test_import_json(runner, tmp_path):
    path = tmp_path / "notice.json"
    path.write_text(json.dumps({"year": 2027, "days": [
        {"date": "2027-01-01", "type": "holiday", "name": "占位 placeholder"},
        {"date": "2027-01-02", "type": "holiday", "name": "占位 placeholder"},
        {"date": "2027-02-06", "type": "workday", "name": "占位 placeholder"}]}, ensure_ascii=False),
        encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(path), "--source", "placeholder"])
    assert result.exit_code == 0, result.output
    assert "calendar 2027: 3 days loaded (2 holidays, 1 make-up working days)" in result.output
    assert _days(2027)[D("2027-01-02")] == (False, "占位 placeholder")
    assert _days(2027)[D("2027-02-06")][0] is True


def test_import_bad_json_reports_each_index_and_loads_nothing(runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"year": 2027, "days": [
        {"date": "2027-01-01", "type": "holiday", "name": "ok"},
        {"date": "01/02/2027", "type": "holiday"},
        {"date": "2027-01-04", "type": "workday", "name": "x"},
        "2027-01-05",
        {"date": "2027-01-06", "type": "holiday", "name": "x", "colour": "red"}]}), encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert "days[1]: 01/02/2027 is not a date in the form YYYY-MM-DD" in out
    assert "days[2]: 2027-01-04 is a weekday: a make-up working day must be a Saturday or Sunday" in out
    assert "days[3]: each day must be an object with date, type and name" in out
    assert "days[4]: unknown keys: colour" in out
    assert "days[0]" not in out
    assert _days(2027) == {} and _loaded(2027) is None

    mismatch = tmp_path / "mismatch.json"
    mismatch.write_text(json.dumps({"year": 2027, "days": [{"date": "2027-01-01", "type": "holiday"}]}))
    result = runner.invoke(args=["calendar", "import", str(mismatch), "--year", "2028"])
    assert result.exit_code == 1 and "year: the file is for 2027, not 2028" in result.output

    broken = tmp_path / "broken.json"
    broken.write_text('{"year": 2027,\n "days": [}')
    result = runner.invoke(args=["calendar", "import", str(broken)])
    assert result.exit_code == 1 and "line 2: not valid JSON" in result.output
    assert _loaded(2027) is None


def test_show_a_loaded_and_an_unloaded_year(runner, tmp_path):
    result = runner.invoke(args=["calendar", "show", "2027"])
    assert result.exit_code == 0
    assert "2027: not loaded (unconfirmed) - provisional: statutory holidays derived from" in result.output
    assert "2027-01-01  Fri  derived  元旦" in result.output  # the derived days are shown, not stored
    assert "0 special days" in result.output

    path = tmp_path / "notice.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    assert runner.invoke(args=["calendar", "import", str(path), "--source", "placeholder notice"]).exit_code == 0
    result = runner.invoke(args=["calendar", "show", "2027"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("2027: confirmed - source placeholder notice, loaded ")
    assert lines[1:4] == ["2027-01-01  Fri  holiday  placeholder A",
                          "2027-02-06  Sat  workday  placeholder B",
                          "2027-02-08  Mon  holiday  placeholder C"]
    assert lines[4] == "3 special days: 2 holidays, 1 make-up working days"


# --- The admin pages ----------------------------------------------------------------------------

def test_officers_may_not_manage_the_calendar(signed_in):
    officer = signed_in("officer", MR, "officer")
    token = csrf_token(officer, "/cases/")
    assert officer.get("/admin/calendar").status_code == 403
    assert officer.get("/admin/calendar/2027").status_code == 403
    response = officer.post("/admin/calendar/2027/import", data={"csrf_token": token, "text": GOOD_CSV,
                                                                 "source": "x"})
    assert response.status_code == 403
    assert officer.post("/admin/calendar/2027/days", data={"csrf_token": token, "day": "2027-01-01",
                                                           "kind": "holiday"}).status_code == 403
    assert 'href="/admin/calendar"' not in officer.get("/cases/").get_data(as_text=True)
    assert _loaded(2027) is None


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/calendar/2027")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_loads_2027_then_adds_and_removes_days(signed_in):
    admin = signed_in("root", ADMIN_AGENCY, "admin")
    listing = admin.get("/admin/calendar").get_data(as_text=True)
    assert 'href="/admin/calendar"' in listing  # the nav link
    assert 'href="/admin/calendar/2026"' in listing  # a loaded year (seeded) links to its page
    page = admin.get("/admin/calendar/2027")
    assert page.status_code == 200 and 'id="day-form"' not in page.get_data(as_text=True)  # load first
    assert admin.get("/admin/calendar?year=2027").headers["Location"].endswith("/admin/calendar/2027")

    token = csrf_token(admin, "/admin/calendar/2027")
    response = admin.post("/admin/calendar/2027/import", data={"csrf_token": token, "text": GOOD_CSV,
                                                               "source": "国办发明电 placeholder"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert set(_days(2027)) == {D("2027-01-01"), D("2027-02-06"), D("2027-02-08")}
    assert _loaded(2027).source == "国办发明电 placeholder"
    page = admin.get("/admin/calendar/2027").get_data(as_text=True)
    assert 'id="day-form"' in page and "placeholder C" in page
    assert 'href="/admin/calendar/2027"' in admin.get("/admin/calendar").get_data(as_text=True)

    response = admin.post("/admin/calendar/2027/days", data={"csrf_token": token, "day": "2027-02-20",
                                                             "kind": "workday", "name": "placeholder E"})
    assert response.status_code == 302
    assert _days(2027)[D("2027-02-20")] == (True, "placeholder E")
    [added] = _audits("calendar.set_day")
    assert added.object_id == "2027-02-20" and added.details["after"] == {"type": "workday", "name": "placeholder E"}

    # A weekday cannot be a make-up working day: refused, nothing changed.
    response = admin.post("/admin/calendar/2027/days", data={"csrf_token": token, "day": "2027-02-22",
                                                             "kind": "workday", "name": "x"})
    assert response.status_code == 422 and D("2027-02-22") not in _days(2027)

    response = admin.post("/admin/calendar/2027/days/2027-02-08/remove", data={"csrf_token": token})
    assert response.status_code == 302
    assert D("2027-02-08") not in _days(2027) and len(_days(2027)) == 3
    [removed] = _audits("calendar.remove_day")
    assert removed.details["before"] == {"type": "holiday", "name": "placeholder C"}


def test_admin_posts_need_the_csrf_token(signed_in):
    admin = signed_in("root", ADMIN_AGENCY, "admin")
    assert admin.post("/admin/calendar/2027/import", data={"text": GOOD_CSV, "source": "x"}).status_code == 400
    assert admin.post("/admin/calendar/2027/import", data={"csrf_token": "forged", "text": GOOD_CSV,
                                                           "source": "x"}).status_code == 400
    assert _loaded(2027) is None
    token = csrf_token(admin, "/admin/calendar/2027")
    assert admin.post("/admin/calendar/2027/import", data={"csrf_token": token, "text": GOOD_CSV,
                                                           "source": "x"}).status_code == 302
    assert admin.post("/admin/calendar/2027/days/2027-01-01/remove").status_code == 400
    assert D("2027-01-01") in _days(2027)


def test_admin_uploads_a_json_file(signed_in):
    admin = signed_in("root", ADMIN_AGENCY, "admin")
    token = csrf_token(admin, "/admin/calendar/2027")
    document = {"year": 2027, "days": [{"date": "2027-01-01", "type": "holiday", "name": "placeholder"},
                                       {"date": "2027-01-02", "type": "workday", "name": "placeholder"}]}
    response = admin.post("/admin/calendar/2027/import", content_type="multipart/form-data", data={
        "csrf_token": token, "text": "", "source": "placeholder upload",
        "upload": (io.BytesIO(json.dumps(document).encode()), "notice.json")})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _days(2027) == {D("2027-01-01"): (False, "placeholder"), D("2027-01-02"): (True, "placeholder")}
    page = admin.get("/admin/calendar/2027").get_data(as_text=True)
    assert "2027-01-02,workday,placeholder" in page  # the year, ready to correct and load again


def test_admin_upload_with_bad_lines_shows_each_and_loads_nothing(signed_in):
    admin = signed_in("root", ADMIN_AGENCY, "admin")
    token = csrf_token(admin, "/admin/calendar/2027")
    bad = "date,type,name\n2027-01-01,holiday,ok\n2027-01-04,workday,x\n2027-02-30,holiday,x\n"
    response = admin.post("/admin/calendar/2027/import", data={"csrf_token": token, "text": bad, "source": "x"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    problems = re.search(r'id="calendar-problems">(.*?)</div>', page, re.S).group(1)
    assert problems.count("<li>") == 2 and "2027-01-04" in problems and "2027-02-30" in problems
    assert _loaded(2027) is None and _days(2027) == {}

    # A file for another year than the page's is refused too.
    other = "date,type,name\n2028-01-01,holiday,x\n"
    response = admin.post("/admin/calendar/2027/import", data={"csrf_token": token, "text": other, "source": "x"})
    assert response.status_code == 422 and _days(2028) == {} and _loaded(2027) is None


# --- Recomputing open deadlines -----------------------------------------------------------------

def _case_decision(detail: dict) -> dict:
    return {c["key"]: c for c in detail["clocks"]}["case_decision"]


def _next_weekday_not_in(day: date, holidays: set[date]) -> date:
    while day.weekday() >= 5 or day in holidays:
        day += ONE_DAY
    return day


def test_loading_a_year_recomputes_the_open_clocks_that_run_into_it(actor, runner, signed_in, tmp_path):
    today = today_in_china()
    year = (today + timedelta(days=90)).year  # the year the 90-day case_decision clock ends in
    _unload(year)
    _ensure_loaded(year - 1)
    officer, head = actor("mr.officer", MR, "officer"), actor("mr.head", MR, "agency_head")
    case = officer.register(received_on=(today - timedelta(days=3)).isoformat())
    officer.fire(case["id"], "start_verification")
    clock = _case_decision(head.fire(case["id"], "file_case", {"note": "placeholder"}))
    # A control: an open clock that ended long before the year, in a loaded year.
    control = officer.register(received_on=date(year - 1, 1, 5).isoformat())

    strict, due = D(clock["strict_due_on"]), D(clock["due_on"])
    assert clock["status"] == "running" and clock["calendar_unconfirmed"] is True
    assert strict == today + timedelta(days=90) and due == _next_weekday_not_in(strict, set())
    assert due.year == year

    # The notice makes the due day and the next weekday holidays: the date rolls past both.
    second = _next_weekday_not_in(due + ONE_DAY, set())
    expected = _next_weekday_not_in(second + ONE_DAY, set())
    assert expected.year == year
    first_saturday = date(year, 1, 1) + timedelta(days=(5 - date(year, 1, 1).weekday()) % 7)
    path = tmp_path / "notice.json"
    path.write_text(json.dumps({"year": year, "days": [
        {"date": due.isoformat(), "type": "holiday", "name": "placeholder"},
        {"date": second.isoformat(), "type": "holiday", "name": "placeholder"},
        {"date": first_saturday.isoformat(), "type": "workday", "name": "placeholder"}]}))
    result = runner.invoke(args=["calendar", "import", str(path), "--source", "placeholder notice"])
    assert result.exit_code == 0, result.output
    assert "clocks recomputed: 1, changed: 1, due dates moved: 1" in result.output

    after = _case_decision(officer.get(case["id"]))
    assert D(after["due_on"]) == expected and D(after["strict_due_on"]) == strict
    assert after["calendar_unconfirmed"] is False
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CaseClock).where(
        CaseClock.status.in_(("running", "paused")), CaseClock.calendar_unconfirmed)) == 0
    control_clock = {c["key"]: c for c in officer.get(control["id"])["clocks"]}["filing_decision"]
    assert control_clock["status"] in ("running", "overdue") and not control_clock["calendar_unconfirmed"]

    [entry] = _audits("calendar.recompute")
    assert entry.object_type == "case" and entry.object_id == str(case["id"])
    assert entry.details["clock"] == "case_decision" and entry.details["year"] == year
    assert (entry.details["old_due_on"], entry.details["new_due_on"]) == (due.isoformat(), expected.isoformat())
    assert entry.details["old_calendar_unconfirmed"] is True and entry.details["new_calendar_unconfirmed"] is False
    [load] = _audits("calendar.load")
    assert load.details["clocks_recomputed"] == 1 and load.details["due_dates_moved"] == 1

    # An admin makes the second day ordinary again on the page: the due date comes back to it.
    admin = signed_in("root", ADMIN_AGENCY, "admin")
    token = csrf_token(admin, f"/admin/calendar/{year}")
    response = admin.post(f"/admin/calendar/{year}/days/{second.isoformat()}/remove", data={"csrf_token": token})
    assert response.status_code == 302
    assert D(_case_decision(officer.get(case["id"]))["due_on"]) == second
    entries = _audits("calendar.recompute")
    assert len(entries) == 2 and entries[1].details["new_due_on"] == second.isoformat()
    assert entries[1].actor_name == "root"


def test_stopped_clocks_keep_their_dates(actor, runner, tmp_path):
    today = today_in_china()
    year = (today + timedelta(days=90)).year
    _unload(year)
    officer, head = actor("mr.officer", MR, "officer"), actor("mr.head", MR, "agency_head")
    case = officer.register(received_on=(today - timedelta(days=3)).isoformat())
    officer.fire(case["id"], "start_verification")
    head.fire(case["id"], "file_case")
    before = _case_decision(head.fire(case["id"], "start_investigation"))
    db.session.rollback()
    clock = db.session.get(CaseClock, before["id"])
    clock.status, clock.stopped_on = "stopped", today  # as if decided today
    db.session.commit()

    due = D(before["due_on"])
    path = tmp_path / "notice.csv"
    path.write_text(f"date,type,name\n{due.isoformat()},holiday,placeholder\n")
    result = runner.invoke(args=["calendar", "import", str(path), "--source", "placeholder"])
    assert result.exit_code == 0, result.output
    assert "clocks recomputed: 0" in result.output
    db.session.rollback()
    assert db.session.get(CaseClock, before["id"]).due_on == due
    assert _audits("calendar.recompute") == []


def test_unconfirmed_clocks_of_other_years_are_looked_at_and_confirmed_when_their_year_loads(actor, runner,
                                                                                              tmp_path):
    _unload(2025)  # placeholder: as if 2025 had never been loaded
    officer = actor("mr.officer", MR, "officer")
    case = officer.register(received_on="2025-03-03")  # a Monday; 15 working days, Mon–Fri: 2025-03-24
    clock = {c["key"]: c for c in officer.get(case["id"])["clocks"]}["filing_decision"]
    assert clock["due_on"] == "2025-03-24" and clock["calendar_unconfirmed"] is True

    later = tmp_path / "later.csv"
    later.write_text(GOOD_CSV)
    result = runner.invoke(args=["calendar", "import", str(later), "--source", "placeholder"])
    assert result.exit_code == 0, result.output
    # Still unconfirmed, so looked at again, but nothing about it changed: no audit entry.
    assert "clocks recomputed: 1, changed: 0, due dates moved: 0" in result.output
    assert _audits("calendar.recompute") == []

    own = tmp_path / "own.csv"
    own.write_text("date,type,name\n2025-03-10,holiday,placeholder\n")
    result = runner.invoke(args=["calendar", "import", str(own), "--source", "placeholder"])
    assert "clocks recomputed: 1, changed: 1, due dates moved: 1" in result.output
    clock = {c["key"]: c for c in officer.get(case["id"])["clocks"]}["filing_decision"]
    assert clock["due_on"] == "2025-03-25" and clock["calendar_unconfirmed"] is False
    [entry] = _audits("calendar.recompute")
    assert (entry.details["old_due_on"], entry.details["new_due_on"]) == ("2025-03-24", "2025-03-25")
