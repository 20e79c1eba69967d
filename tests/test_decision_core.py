"""The decision core decides without a database and without changing what it is given: the
request shell and the history generator can both trust it with their own rows."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from sqlalchemy import event

from casesys.cases.models import Case
from casesys.core.errors import InvalidInput
from casesys.extensions import db
from casesys.workflows import decide, engine
from tests.test_workflow_engine import _investigating_case


def _statements_during(work):
    sent = []

    def count(*_args):
        sent.append(_args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = work()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result, sent


def test_a_transfer_is_decided_as_a_value_without_a_query(app, actor):
    officer, _head, case = _investigating_case(actor)
    row = db.session.get(Case, case["id"])
    facts, who = engine.case_facts(row), engine.actor_facts(officer.user)
    context = engine.context_for(row, {})
    before = copy.deepcopy(facts)
    today = context.moment.today

    decision, sent = _statements_during(lambda: decide.decide(
        context, facts, who, "propose_criminal_transfer", {"reason": "涉嫌犯罪", "task_group": "甲、乙"}, today))

    assert sent == []
    assert facts == before  # the caller's case, clocks and pauses are as they were
    assert (decision.from_state, decision.state, decision.version) == ("investigating", "awaiting_criminal",
                                                                        facts.version + 1)
    assert decision.event.kind == "transition" and decision.event.data["fields"]["reason"] == "涉嫌犯罪"
    opening = decision.opening
    assert opening.workflow.key == "criminal_transfer" and opening.owner.code == "230100-market_regulation"
    assert opening.values["origin_agency_id"] == facts.agency_id and opening.event.data["opened_by"] == facts.number
    # nothing was written: the case in the database is still investigating
    db.session.expire_all()
    assert db.session.get(Case, case["id"]).state == "investigating"


def test_a_refusal_comes_with_its_reason(app, actor):
    officer, _head, case = _investigating_case(actor)
    row = db.session.get(Case, case["id"])
    facts, who = engine.case_facts(row), engine.actor_facts(officer.user)
    context = engine.context_for(row, {})
    with pytest.raises(InvalidInput) as refused:
        decide.decide(context, facts, who, "file_case", {}, context.moment.today)
    assert "not allowed in state investigating" in refused.value.fields["transition"]
    with pytest.raises(InvalidInput) as early:
        decide.effective_day(facts, date(2000, 1, 1), context.moment.today)
    assert "effective_on" in early.value.fields
