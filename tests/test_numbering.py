"""Case numbers: unique and gap-free per agency and year, also under concurrent registration."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from casesys.auth.models import User
from casesys.cases.models import Case
from casesys.cases.schemas import CaseIn
from casesys.extensions import db
from casesys.workflows.registration import register_case
from tests.conftest import is_postgres
from tests.factories import case_payload


def test_each_agency_has_its_own_series(client, make_user, api_token):
    harbin = api_token(make_user("hrb", "230100-market_regulation", "officer"))
    copyright_office = api_token(make_user("hrb.cr", "230100-copyright", "officer"))
    numbers = [client.post("/api/v1/cases", json=case_payload(), headers=h).json["number"]
               for h in (harbin, harbin, copyright_office, harbin)]
    year = date.today().year
    assert numbers == [f"230100-SJ-{year}-00001", f"230100-SJ-{year}-00002",
                       f"230100-BQ-{year}-00001", f"230100-SJ-{year}-00003"]


def test_a_rejected_registration_does_not_use_up_a_number(client, make_user, api_token):
    headers = api_token(make_user("hrb", "230100-market_regulation", "officer"))
    client.post("/api/v1/cases", json=case_payload(), headers=headers)
    rejected = client.post("/api/v1/cases", json=case_payload(region="230200"), headers=headers)
    assert rejected.status_code == 422
    assert client.post("/api/v1/cases", json=case_payload(), headers=headers).json["number"].endswith("-00002")


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (CASESYS_TEST_DATABASE_URL) for real concurrency")
def test_parallel_registrations_get_unique_gap_free_numbers(app, make_user):
    workers, per_worker = 8, 5
    user_ids = [make_user(f"officer{i}", "230100-market_regulation", "officer").id for i in range(workers)]
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def register_many(user_id: int) -> None:
        try:
            with app.app_context():
                user = db.session.get(User, user_id)
                start.wait()
                for _ in range(per_worker):
                    register_case(user, CaseIn(**case_payload()))
                    db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register_many, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = sorted(db.session.scalars(select(Case.number_seq)))
    assert seqs == list(range(1, workers * per_worker + 1))
    assert len(set(db.session.scalars(select(Case.number)))) == workers * per_worker
