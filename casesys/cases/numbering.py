"""Case numbers: one gap-free series per agency and year (``230100-SJ-2026-00042``).

A module of its own, below the workflow engine: registration and a change of owner both take
the next number of the receiving agency's series."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from casesys.agencies.models import Agency
from casesys.cases.models import CaseNumberCounter
from casesys.extensions import db

_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def next_case_number(agency: Agency, year: int) -> tuple[int, str]:
    """Take the next number of ``agency``'s series for ``year``.

    The counter row is updated in the caller's transaction: on PostgreSQL the row lock
    queues concurrent registrations, on SQLite the write lock does; a rollback returns the
    number, so the series has no gaps.
    """
    insert = _UPSERT_INSERTS[db.session.get_bind().dialect.name]
    db.session.execute(insert(CaseNumberCounter).values(agency_id=agency.id, year=year, last_seq=0)
                       .on_conflict_do_nothing())
    seq = db.session.execute(
        update(CaseNumberCounter)
        .where(CaseNumberCounter.agency_id == agency.id, CaseNumberCounter.year == year)
        .values(last_seq=CaseNumberCounter.last_seq + 1)
        .returning(CaseNumberCounter.last_seq)
    ).scalar_one()
    return seq, f"{agency.region_code}-{agency.number_code}-{year}-{seq:05d}"
