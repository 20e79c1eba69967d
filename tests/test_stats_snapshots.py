"""Stored dashboard views are used only while the records are unchanged, so they always equal the
live query: anything a figure reads moves the data version. It is a counter that every commit
writing what a figure reads bumps in the same transaction, whatever ids, timestamps or statements
it used, so a view is never served after a commit it did not see."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from casesys.auth.models import User
from casesys.cases.models import Case, Party
from casesys.core.types import utcnow
from casesys.extensions import db
from casesys.reporting.models import InspectionRecord
from casesys.seeding.history import rows as history_rows
from casesys.stats import figures, snapshots
from casesys.stats.filters import StatsFilters
from casesys.stats.models import StatsSnapshot
from tests.conftest import is_postgres

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


def test_deleting_older_rows_moves_the_version(officer):
    """Deleting rows below the maximum id (here a case's parties) changed no max(id) or
    updated_at: only the counter shows it."""
    first = officer.register(received_on="2019-03-01")
    officer.register(received_on="2019-04-01")
    _view()
    assert _view().stored
    db.session.execute(delete(Party).where(Party.case_id == first["id"], Party.role == "respondent"))
    db.session.commit()
    moved = _view()
    assert not moved.stored and moved.data == _live()


def test_work_that_is_rolled_back_or_reads_only_keeps_the_stored_view(officer):
    officer.register(received_on="2019-03-01")
    _view()
    officer.register(expect=422, received_on="2019-03-01", region="230200")  # refused: rolled back
    officer.get(1)
    officer.client.get("/api/v1/cases", headers=officer.headers)
    assert _view().stored


def test_rows_loaded_by_the_history_loader_move_the_version(officer):
    user = db.session.get(User, officer.user.id)
    _view()
    fmt = history_rows.RowFormat(db.session.get_bind().dialect.name)
    day = date(2019, 5, 1)
    history_rows.insert_rows({"inspection_records": [
        (1000, user.agency_id, fmt.day(day), 7, None, None, user.id, fmt.stamp(day))]})
    history_rows.finish_inserts()
    db.session.commit()
    assert not _view().stored

    row = (1001, user.agency_id, fmt.day(day), 5, None, None, user.id, fmt.stamp(day))
    db.session.rollback()  # SQLite: let go of the write lock, as the loader does
    inserter = history_rows._Inserter(db.engine)  # the benchmark loader's own connection
    inserter.start()
    inserter.put({"inspection_records": [row]})
    inserter.finish()
    db.session.rollback()
    moved = _view()
    assert not moved.stored and moved.data == _live()


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (CASESYS_TEST_DATABASE_URL) for real concurrency")
def test_a_commit_that_took_its_ids_earlier_is_not_missed(app, officer):
    """T1 takes the lower case id and stays open; T2 registers a case and commits; a view is
    stored; T1 commits. The next view must not be the stored one."""
    later = officer.register(received_on="2019-03-01")  # sets up the agency's series and the entry state
    with Session(db.engine) as t1:
        slow = Case(number="230100-SJ-RACE-1", number_year=2019, number_seq=90001, agency_id=officer.user.agency_id,
                    workflow="admin_enforcement", workflow_version=1, state=later["state"], title="先取号后提交",
                    ip_type="trademark", source="complaint", region_code="230100", received_on=date(2019, 3, 2),
                    created_by_id=officer.user.id)
        t1.add(slow)
        t1.flush()  # T1 holds its id, uncommitted

        t2 = officer.register(received_on="2019-03-03")  # T2: a higher id, committed
        assert slow.id < t2["id"]
        stored = _view()
        assert not stored.stored
        received = stored.data["headline"]["cases.received"]
        assert _view().stored

        t1.commit()
    fresh = _view()
    assert not fresh.stored
    assert fresh.data["headline"]["cases.received"] == received + 1
    assert fresh.data == _live()
    assert db.session.scalar(select(Case.id).where(Case.number == "230100-SJ-RACE-1")) is not None
