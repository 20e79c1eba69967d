"""The definitions' checks, the CLI, GET /workflows, atomic transitions and concurrency."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from casesys import audit, create_app
from casesys.cases.models import Case, CaseEvent
from casesys.config import REPO_ROOT
from casesys.core.errors import Conflict
from casesys.extensions import db
from casesys.workflows import engine
from casesys.workflows.loader import WorkflowError, load_workflows
from casesys.workflows.models import CaseAccess, CaseClock, CaseFormerNumber, CaseLink
from tests.conftest import config_for, is_postgres

WORKFLOW_DIR = REPO_ROOT / "workflows"
SIX = {"admin_enforcement", "patent_ruling", "criminal_transfer", "mediation", "judicial_confirmation",
       "civil_litigation"}


def _copy_with(tmp_path: Path, name: str, change) -> Path:
    """The real definitions with one file changed by ``change(data)``."""
    target = tmp_path / "workflows"
    shutil.copytree(WORKFLOW_DIR, target)
    path = target / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def test_the_shipped_definitions_load():
    found = load_workflows(WORKFLOW_DIR)
    assert SIX <= set(found)
    for wf in found.values():
        assert all(clock.legal_basis.zh and clock.legal_basis.en for clock in wf.clocks.values())


BROKEN = [
    ("two initial states", lambda d: d["states"]["verifying"].update(initial=True), "exactly one initial state"),
    ("unreachable state", lambda d: d["states"].update(limbo={"label": {"zh": "悬", "en": "Limbo"}}),
     "not reachable"),
    ("leaving a final state", lambda d: d["transitions"]["file_case"]["from"].append("closed"),
     "leaves final state 'closed'"),
    ("unknown target", lambda d: d["transitions"]["file_case"].update(to="nowhere"), "unknown state 'nowhere'"),
    ("unknown role", lambda d: d["transitions"]["file_case"].update(roles=["janitor"]), "unknown role 'janitor'"),
    ("unknown clock", lambda d: d["transitions"]["file_case"]["clocks"].update(start=["sundial"]),
     "unknown clock 'sundial'"),
    ("unknown guard", lambda d: d["transitions"]["file_case"].update(guard="looks_guilty"),
     "unknown guard 'looks_guilty'"),
    ("unknown action", lambda d: d["transitions"]["file_case"].update(action="shred"), "unknown action 'shred'"),
    ("reserved field name", lambda d: d["transitions"]["file_case"]["fields"].append(
        {"name": "effective_on", "type": "date", "label": {"zh": "日", "en": "Day"}}), "'effective_on' is reserved"),
    ("code in data", lambda d: d["transitions"]["file_case"].update(python="os.system('x')"),
     "Extra inputs are not permitted"),
    ("bad unit", lambda d: d["clocks"]["filing_decision"].update(unit="fortnights"), "filing_decision.unit"),
    ("unknown agency kind", lambda d: d.update(agency_kinds=["ministry_of_magic"]), "ministry_of_magic"),
    ("link to unknown workflow",
     lambda d: d["transitions"]["propose_criminal_transfer"]["creates"].update(workflow="tribunal"),
     "unknown workflow 'tribunal'"),
    ("stuck state", lambda d: (d["transitions"].pop("end_hearing"),
                               d["transitions"]["criminal_case_filed"]["from"].remove("hearing")),
     "'hearing' is not final but no transition leaves it"),
]


@pytest.mark.parametrize(("change", "expected"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_file_is_named_with_its_problem(tmp_path, change, expected):
    directory = _copy_with(tmp_path, "admin_enforcement", change)
    with pytest.raises(WorkflowError) as caught:
        load_workflows(directory)
    assert "admin_enforcement.yaml" in str(caught.value) and expected in str(caught.value)


def test_a_bad_file_stops_start_up(tmp_path, database_url):
    directory = _copy_with(tmp_path, "mediation", lambda d: d["states"].clear())
    with pytest.raises(WorkflowError, match="mediation.yaml"):
        create_app({**config_for(database_url), "CASESYS_WORKFLOW_DIR": str(directory)})


def test_unparseable_yaml_is_reported(tmp_path):
    target = tmp_path / "workflows"
    shutil.copytree(WORKFLOW_DIR, target)
    (target / "mediation.yaml").write_text("states: {a: [\n", encoding="utf-8")
    with pytest.raises(WorkflowError, match="mediation.yaml: cannot read"):
        load_workflows(target)


def test_cli_check_and_diagram(runner, tmp_path):
    result = runner.invoke(args=["workflows", "check"])
    assert result.exit_code == 0, result.output
    assert sum(line.startswith("ok  ") for line in result.output.splitlines()) == len(list(WORKFLOW_DIR.glob("*.yaml")))
    broken = _copy_with(tmp_path, "admin_enforcement", lambda d: d["transitions"]["file_case"].update(to="x"))
    result = runner.invoke(args=["workflows", "check", "--dir", str(broken)])
    assert result.exit_code == 1 and "admin_enforcement.yaml: transitions.file_case: unknown state 'x'" in result.output

    mermaid = runner.invoke(args=["workflows", "diagram", "criminal_transfer"])
    assert mermaid.exit_code == 0 and mermaid.output.startswith("stateDiagram-v2")
    assert "transfer_proposed --> transfer_approved: 批准移送" in mermaid.output
    dot = runner.invoke(args=["workflows", "diagram", "admin_enforcement", "--format", "graphviz", "--lang", "en"])
    assert dot.output.startswith('digraph "admin_enforcement"') and "verifying -> filed" in dot.output
    assert runner.invoke(args=["workflows", "diagram", "nope"]).exit_code == 1


def test_api_lists_the_definitions(client, make_user, api_token):
    headers = api_token(make_user("reader", "230100-court", "officer"))
    body = client.get("/api/v1/workflows", headers=headers).json
    by_key = {wf["key"]: wf for wf in body["workflows"]}
    assert SIX <= set(by_key)
    admin = by_key["admin_enforcement"]
    assert admin["initial_state"] == "received"
    decide = next(t for t in admin["transitions"] if t["name"] == "decide_penalty")
    assert decide["from"] == ["notified"] and decide["to"] == "decided"
    fields = {f["name"]: f for f in decide["fields"]}
    assert fields["decision"]["type"] == "choice" and fields["decision"]["required"] is True
    assert set(fields["decision"]["choices"]) == {"penalty", "no_penalty"}
    assert {"hand_off", "accept_handoff", "return_handoff"} == {t["name"] for t in admin["handoff"]["transitions"]}
    assert client.get("/api/v1/workflows").status_code == 401


def _investigating_case(actor):
    officer = actor("mr.o", "230100-market_regulation", "officer")
    head = actor("mr.h", "230100-market_regulation", "agency_head")
    case = officer.register()
    officer.fire(case["id"], "start_verification")
    head.fire(case["id"], "file_case")
    officer.fire(case["id"], "start_investigation")
    return officer, head, case


def _counts(case_id):
    db.session.rollback()
    return {
        "events": db.session.scalar(select(func.count()).select_from(CaseEvent)),
        "cases": db.session.scalar(select(func.count()).select_from(Case)),
        "clocks": db.session.scalar(select(func.count()).select_from(CaseClock)),
        "links": db.session.scalar(select(func.count()).select_from(CaseLink)),
        "access": db.session.scalar(select(func.count()).select_from(CaseAccess)),
        "former": db.session.scalar(select(func.count()).select_from(CaseFormerNumber)),
        "state": db.session.get(Case, case_id).state,
        "version": db.session.get(Case, case_id).version,
    }


def test_a_step_failing_midway_writes_nothing(actor, monkeypatch):
    officer, head, case = _investigating_case(actor)
    transfer_id = officer.fire(case["id"], "propose_criminal_transfer",
                               {"reason": "涉嫌犯罪", "task_group": "甲、乙"})["links"][0]["id"]
    head.fire(transfer_id, "approve_transfer")
    before = _counts(transfer_id)

    real = audit.record

    def fail_after_the_writes(action, *args, **details):
        if action == "case.transition" and details.get("transition") == "transfer":
            # ownership moved, a new number taken, the procuratorate's copy granted...
            raise RuntimeError("the audit store went away mid-transfer")
        return real(action, *args, **details)

    monkeypatch.setattr(audit, "record", fail_after_the_writes)
    officer.client.application.testing = False  # an unexpected error answers 500, as in production
    response = officer.client.post(f"/api/v1/cases/{transfer_id}/transitions", headers=officer.headers,
                                   json={"transition": "transfer", "expected_version": before["version"],
                                         "fields": {"materials": "全部"}})
    assert response.status_code == 500
    assert _counts(transfer_id) == before  # no state, event, clock, number, access or link left behind
    monkeypatch.setattr(audit, "record", real)
    assert officer.fire(transfer_id, "transfer", {"materials": "全部"})["state"] == "transferred"


def test_a_stale_version_is_refused_by_the_engine(app, actor):
    officer, head, case = _investigating_case(actor)
    db.session.rollback()
    user = db.session.get(type(officer.user), officer.user.id)
    version = db.session.get(Case, case["id"]).version
    engine.apply_transition(user, case["id"], "notify_party", {"intended_penalty": "罚款"}, expected_version=version)
    db.session.commit()
    with pytest.raises(Conflict):
        engine.apply_transition(user, case["id"], "request_hearing", {}, expected_version=version)
    db.session.rollback()


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="row locks and real concurrency need PostgreSQL")
def test_parallel_conflicting_transitions_on_postgres(app, actor):
    officer, head, case = _investigating_case(actor)
    db.session.rollback()
    version = db.session.get(Case, case["id"]).version
    events_before = db.session.scalar(select(func.count()).where(CaseEvent.case_id == case["id"]))
    db.session.rollback()
    results, barrier = [], threading.Barrier(8)

    head_id = head.user.id

    def attempt(i):
        with app.app_context():
            from casesys.auth.models import User

            try:
                user = db.session.get(User, head_id)
                name, data = (("notify_party", {"intended_penalty": f"罚款{i}"}) if i % 2 else
                              ("extend_case_decision", {"reason": f"理由{i}"}))
                user.roles, user.agency.region.path  # noqa: B018 (load before the race starts)
                barrier.wait(timeout=30)
                engine.apply_transition(user, case["id"], name, data, expected_version=version)
                db.session.commit()
                results.append("ok")
            except Conflict:
                db.session.rollback()
                results.append("conflict")
            except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
                results.append(repr(exc))
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 7 + ["ok"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(CaseEvent.case_id == case["id"])) == events_before + 1
    assert db.session.get(Case, case["id"]).version == version + 1
