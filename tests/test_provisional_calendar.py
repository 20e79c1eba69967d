"""Years past the loaded calendar get the statutory holidays the 2024 holiday rules fix
(全国年节及纪念日放假办法, 国务院令第795号), marked provisional (LEGAL-TIME-LIMITS §8).

Known dates used below: 2027 除夕 Fri 02-05 (春节 Sat 02-06), 清明 Mon 04-05, 端午 Wed 06-09, 中秋 Wed
09-15; 2028 除夕 Tue 01-25, 清明 Tue 04-04, 端午 Sun 05-28, 中秋 Tue 10-03 (inside National Day).
The 2027 notice in the import test is a PLACEHOLDER made up for the test, not the State Council's.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import delete

from casesys.extensions import db
from casesys.workcalendar import WorkingCalendar
from casesys.workcalendar.models import CalendarDay, CalendarYear
from casesys.workcalendar.statutory import statutory_holidays

D = date.fromisoformat
MR = "230100-market_regulation"


def _holidays(year: int) -> dict[str, str]:
    return {day.isoformat(): name for day, name in statutory_holidays(year)}


# --- The derived days ---------------------------------------------------------------------------

def test_2027_statutory_holidays():
    assert _holidays(2027) == {
        "2027-01-01": "元旦",
        "2027-02-05": "春节", "2027-02-06": "春节", "2027-02-07": "春节", "2027-02-08": "春节",  # 除夕 to 初三
        "2027-04-05": "清明",
        "2027-05-01": "劳动节", "2027-05-02": "劳动节",
        "2027-06-09": "端午",
        "2027-09-15": "中秋",
        "2027-10-01": "国庆节", "2027-10-02": "国庆节", "2027-10-03": "国庆节",
    }


def test_2028_statutory_holidays_share_a_day_when_mid_autumn_falls_in_national_day():
    days = _holidays(2028)
    assert [d for d, n in days.items() if n == "春节"] == ["2028-01-25", "2028-01-26", "2028-01-27", "2028-01-28"]
    assert days["2028-04-04"] == "清明" and days["2028-05-28"] == "端午"
    assert days["2028-10-03"] == "国庆节"  # 中秋 2028 is 10-03: one day off, not two
    assert "中秋" not in days.values() and len(days) == 12


def test_the_derivation_agrees_with_the_loaded_notices_of_2025_and_2026():
    # The chinesecalendar package has both years from their notices: every statutory day the rules
    # give is a holiday there (the notices add swapped rest days and make-up working days).
    real = WorkingCalendar.from_chinesecalendar()
    for year in (2025, 2026):
        assert len(statutory_holidays(year)) == 13
        assert [d for d, _n in statutory_holidays(year) if real.is_working_day(d)] == []


def test_no_year_before_the_2024_rules_is_derived():
    assert statutory_holidays(2024) == ()
    assert WorkingCalendar({}, frozenset()).is_working_day(D("2024-10-01"))  # a Tuesday, not loaded


def test_a_derived_year_has_no_make_up_working_days_and_stays_unconfirmed():
    cal = WorkingCalendar.from_chinesecalendar()
    year_2027 = (date.fromordinal(D("2027-01-01").toordinal() + i) for i in range(365))
    weekend_2027 = [d for d in year_2027 if d.weekday() >= 5]
    assert not any(cal.is_working_day(d) for d in weekend_2027)
    assert cal.add_working_days(D("2026-12-30"), 5) == D("2027-01-07")
    assert cal.next_working_day(D("2027-01-01")) == D("2027-01-04")
    assert cal.is_provisional(2027) and not cal.confirmed_between(D("2026-12-30"), D("2027-01-07"))


# --- End to end through the API -----------------------------------------------------------------

@pytest.fixture
def no_2027(app):
    db.session.execute(delete(CalendarDay).where(CalendarDay.day.between(D("2027-01-01"), D("2027-12-31"))))
    db.session.execute(delete(CalendarYear).where(CalendarYear.year == 2027))
    db.session.commit()


def _clock(detail: dict, key: str) -> dict:
    return {c["key"]: c for c in detail["clocks"]}[key]


def test_a_working_day_clock_over_new_year_2027_skips_the_derived_holiday(actor, no_2027):
    officer, head = actor("mr.officer", MR, "officer"), actor("mr.head", MR, "agency_head")
    case = officer.register(received_on="2026-12-02")
    filing = _clock(officer.get(case["id"]), "filing_decision")
    assert (filing["due_on"], filing["calendar_unconfirmed"]) == ("2026-12-23", False)  # 15 working days

    officer.fire(case["id"], "start_verification")
    head.fire(case["id"], "extend_filing_decision", {"reason": "情况复杂"})
    filing = _clock(officer.get(case["id"]), "filing_decision")
    # 30 working days after 12-02: 21 in December, then Jan 4 ... 14 — 1 January 2027 is a holiday
    # by the rules (Monday–Friday alone would give 01-13).
    assert filing["due_on"] == "2027-01-14"
    assert filing["calendar_unconfirmed"] is True


def test_a_natural_day_period_ending_on_new_year_2027_rolls_to_the_next_working_day(actor, no_2027):
    officer, head = actor("mr.officer", MR, "officer"), actor("mr.head", MR, "agency_head")
    case = officer.register(received_on="2026-09-28")
    officer.fire(case["id"], "start_verification", effective_on="2026-09-29")
    detail = head.fire(case["id"], "file_case", {"note": "placeholder"}, effective_on="2026-10-03")
    decision = _clock(detail, "case_decision")
    # 90 days after 10-03 is Friday 2027-01-01, New Year's Day: rolled past the weekend to Monday.
    assert (decision["strict_due_on"], decision["due_on"]) == ("2027-01-01", "2027-01-04")
    assert decision["calendar_unconfirmed"] is True


def test_importing_the_notice_replaces_the_derived_year_and_recomputes(actor, runner, tmp_path, no_2027):
    officer, head = actor("mr.officer", MR, "officer"), actor("mr.head", MR, "agency_head")
    case = officer.register(received_on="2026-12-02")
    officer.fire(case["id"], "start_verification")
    head.fire(case["id"], "extend_filing_decision", {"reason": "情况复杂"})
    assert _clock(officer.get(case["id"]), "filing_decision")["due_on"] == "2027-01-14"

    # A placeholder notice: 01-01 is NOT a holiday in it, 01-04 is, and Saturday 01-09 is worked.
    path = tmp_path / "notice.json"
    path.write_text(json.dumps({"year": 2027, "days": [
        {"date": "2027-01-04", "type": "holiday", "name": "placeholder"},
        {"date": "2027-01-09", "type": "workday", "name": "placeholder"}]}))
    result = runner.invoke(args=["calendar", "import", str(path), "--source", "placeholder notice"])
    assert result.exit_code == 0, result.output
    assert "due dates moved: 1" in result.output

    filing = _clock(officer.get(case["id"]), "filing_decision")
    # Jan 1 (22), 5, 6, 7, 8, 9 (Saturday, worked), 11, 12, 13 (30): the derived days are gone.
    assert (filing["due_on"], filing["calendar_unconfirmed"]) == ("2027-01-13", False)

    result = runner.invoke(args=["calendar", "show", "2027"])
    assert "2027: confirmed" in result.output and "derived" not in result.output


def test_the_admin_pages_show_which_years_are_provisional(signed_in, runner, no_2027):
    admin = signed_in("root", "230000-coordination_office", "admin")
    page = admin.get("/admin/calendar").get_data(as_text=True)
    assert 'id="provisional-years"' in page and ">2027</a>" in page
    year = admin.get("/admin/calendar/2027").get_data(as_text=True)
    assert 'id="derived-days"' in year and "2027-02-05" in year and "2027-09-15" in year

    result = runner.invoke(args=["calendar", "show", "2027"])
    assert "2027: not loaded (unconfirmed) - provisional" in result.output
    assert "2027-04-05  Mon  derived  清明" in result.output
