"""Stored dashboard views are used only while the records are unchanged, so they always equal the
live query: anything a figure reads moves the data version."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from casesys.core.types import utcnow
from casesys.extensions import db
from casesys.reporting.models import InspectionRecord
from casesys.stats import figures, snapshots
from casesys.stats.filters import StatsFilters
from casesys.stats.models import StatsSnapshot

F = StatsFilters(date_from=date(2019, 1, 1), date_to=date(2019, 12, 31))
SECTIONS = ("overview", "flows", "clocks", "respondents")


def _live():
    return json.loads(json.dumps(figures.summary(F, "month", SECTIONS), default=str))


def _view():
    view = snapshots.summary(F, "month", SECTIONS)
    db.session.commit()
    return view


@pytest.fixture
def officer(actor):
    return actor("mr.officer", "230100-market_regulation", "officer")


def test_a_stored_view_equals_the_live_query_until_the_records_change(officer):
    officer.register(received_on="2019-03-01", ip_type="unfair_competition")
    first = _view()
    assert not first.stored and first.data == _live()
    again = _view()
    assert again.stored and again.data == first.data == _live()

    officer.register(received_on="2019-04-01")  # one more case received in the period
    moved = _view()
    assert not moved.stored and moved.data == _live()
    assert moved.data["headline"]["cases.received"] == first.data["headline"]["cases.received"] + 1


def test_a_step_on_an_existing_case_moves_the_version(officer):
    case = officer.register(received_on="2019-03-01")
    before = snapshots.data_version()
    officer.fire(case["id"], "start_verification", {"is_complaint": True}, effective_on="2019-03-02")
    assert snapshots.data_version() != before


def test_inspections_orders_calendar_and_the_date_move_the_version(officer, make_user, monkeypatch):
    from casesys.workcalendar.models import CalendarYear

    before = snapshots.data_version()
    user = make_user("cr.officer", "230100-copyright", "officer")
    db.session.add(InspectionRecord(agency_id=user.agency_id, inspected_on=date(2019, 5, 1), units_inspected=3,
                                    created_by_id=user.id))
    db.session.commit()
    after_inspection = snapshots.data_version()
    assert after_inspection != before

    db.session.add(CalendarYear(year=2099, source="test"))
    db.session.commit()
    after_calendar = snapshots.data_version()
    assert after_calendar != after_inspection

    monkeypatch.setattr(snapshots, "today_in_china", lambda: date(2099, 1, 1))
    assert snapshots.data_version() != after_calendar  # overdue counts depend on the day


def test_the_scheduler_job_recomputes_changed_presets_and_drops_old_views(officer):
    presets = len(snapshots.preset_views())
    assert presets == 16  # this year for the province and its 13 cities; last year and 2016–2020
    assert snapshots.refresh() == {"recomputed": presets, "dropped": 0}
    db.session.commit()
    assert snapshots.refresh()["recomputed"] == 0  # nothing changed
    officer.register()
    assert snapshots.refresh()["recomputed"] == presets
    db.session.execute(db.update(StatsSnapshot).values(computed_at=utcnow() - timedelta(days=3)))
    assert snapshots.refresh()["dropped"] == presets
