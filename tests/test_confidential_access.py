"""docs/access.md, cell by cell, through every surface that shows a case.

The table is read from the document itself, so the rule written down and the rule the code
applies cannot drift apart. Each test drives the cases through registration, handoff (pending,
accepted, returned), a criminal transfer (proposed, transferred) and the police's return for an
administrative penalty, and asks at each stage every user the table names what they see.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from casesys.cases.models import Case
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.reminders.sweep import recipients
from casesys.workflows.loader import HANDOFF_CLOCK

TABLE = Path(__file__).resolve().parents[1] / "docs" / "access.md"
MR, CR = "230100-market_regulation", "230100-copyright"
POLICE, PROC = "230100-public_security", "230100-procuratorate"
STATUS_NOTE = 'id="status-access"'  # the case page's note to a reader with status access

USERS = {
    "mr.officer": (MR, "officer"), "mr.officer2": (MR, "officer"), "mr.head": (MR, "agency_head"),
    "cr.officer": (CR, "officer"), "cr.head": (CR, "agency_head"),
    "police.officer": (POLICE, "officer"), "police.head": (POLICE, "agency_head"),
    "proc.officer": (PROC, "officer"), "proc.head": (PROC, "agency_head"),
    "qq.proc.head": ("230200-procuratorate", "agency_head"),
    "prov.sup": ("230000-coordination_office", "supervisor"),
    "qq.sup": ("230200-market_regulation", "supervisor"),
    "qq.head": ("230200-market_regulation", "agency_head"),
}

# Stage -> (row of the table, user, case) checked there. "admin" is registered by mr.officer and
# stays with market regulation; "pending", "accepted" and "returned" are handed off to copyright;
# "transfer" is the criminal transfer opened from "investigated" (also mr.officer's).
STAGES = {
    "registered": [
        ("owner_head", "mr.head", "admin"), ("owner_assigned_officer", "mr.officer", "admin"),
        ("owner_other_officer", "mr.officer2", "admin"), ("supervisor_in_scope", "prov.sup", "admin"),
        ("supervisor_out_of_scope", "qq.sup", "admin"), ("other_agency", "qq.head", "admin"),
    ],
    "handoff": [
        ("receiver_head", "cr.head", "pending"), ("receiver_officer", "cr.officer", "pending"),
        ("owner_other_officer", "mr.officer2", "pending"), ("owner_assigned_officer", "mr.officer", "pending"),
        ("former_owner_head", "mr.head", "accepted"), ("former_owner_officer", "mr.officer", "accepted"),
        ("former_owner_officer", "mr.officer2", "accepted"), ("owner_head", "cr.head", "accepted"),
        ("owner_other_officer", "cr.officer", "accepted"),
        ("returned_receiver_head", "cr.head", "returned"), ("owner_other_officer", "mr.officer2", "returned"),
    ],
    "transfer_proposed": [
        ("owner_head", "mr.head", "transfer"), ("owner_assigned_officer", "mr.officer", "transfer"),
        ("owner_other_officer", "mr.officer2", "transfer"), ("other_agency", "police.head", "transfer"),
        ("other_agency", "proc.head", "transfer"),
    ],
    "transferred": [
        ("police_head", "police.head", "transfer"), ("police_officer", "police.officer", "transfer"),
        ("procuratorate_head", "proc.head", "transfer"), ("procuratorate_officer", "proc.officer", "transfer"),
        ("procuratorate_elsewhere", "qq.proc.head", "transfer"), ("origin_head", "mr.head", "transfer"),
        ("origin_assigned_officer", "mr.officer", "transfer"), ("origin_other_officer", "mr.officer2", "transfer"),
        ("supervisor_in_scope", "prov.sup", "transfer"), ("supervisor_out_of_scope", "qq.sup", "transfer"),
    ],
    "police_return": [
        ("police_head", "police.head", "transfer"), ("police_officer", "police.officer", "transfer"),
        ("origin_head", "mr.head", "transfer"), ("origin_assigned_officer", "mr.officer", "transfer"),
        ("origin_other_officer", "mr.officer2", "transfer"),
        ("owner_other_officer", "mr.officer2", "investigated"), ("owner_head", "mr.head", "investigated"),
        ("other_agency", "police.head", "investigated"),
    ],
}


def access_table() -> dict[str, dict[bool, str]]:
    """{row key: {confidential: level}} from the one table of docs/access.md."""
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"\|[^|]*\(`(\w+)`\)\s*\|([^|]+)\|([^|]+)\|\s*$", line):
            levels = [cell.replace("†", "").strip() for cell in match.group(2, 3)]
            rows[match.group(1)] = {False: levels[0], True: levels[1]}
    return rows


def test_the_table_is_well_formed_and_every_row_is_exercised():
    table = access_table()
    assert len(table) >= 19
    assert {level for row in table.values() for level in row.values()} <= {"full", "status", "none"}
    assert {row for checks in STAGES.values() for row, _user, _case in checks} == set(table)
    # The rule of DOMAIN §1: confidential never widens access.
    order = ["none", "status", "full"]
    assert all(order.index(row[True]) <= order.index(row[False]) for row in table.values())


@pytest.fixture(autouse=True)
def _quick_password_hashing(monkeypatch):
    """Fifteen users per test: hash their passwords cheaply (log-in itself is tested elsewhere)."""
    monkeypatch.setattr("casesys.auth.services._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


class Matrix:
    """Asks every surface what one user sees of one case and records any cell the table contradicts."""

    def __init__(self, actors, web, confidential: bool):
        self.actors, self.web, self.confidential = actors, web, confidential
        self.table, self.clients, self.cases, self.wrong = access_table(), {}, {}, []

    def browser(self, username):
        if username not in self.clients:
            self.clients[username] = self.web(username)
        return self.clients[username]

    def listed(self, username) -> dict[str, set[int]]:
        """The case ids the API list and the HTML list show the user (fewer than a page here)."""
        actor = self.actors[username]
        html = self.browser(username).get("/cases/").get_data(as_text=True)
        return {"api list": {c["id"] for c in actor.client.get("/api/v1/cases?limit=200", headers=actor.headers)
                             .json["items"]},
                "list": {int(i) for i in re.findall(r'href="/cases/(\d+)"', html)}}

    def seen(self, username, case_id: int, title: str) -> dict:
        actor, browser = self.actors[username], self.browser(username)
        api = actor.client.get(f"/api/v1/cases/{case_id}", headers=actor.headers)
        found = actor.client.get("/api/v1/cases", query_string={"q": title}, headers=actor.headers)
        page = browser.get(f"/cases/{case_id}")
        html = page.get_data(as_text=True)
        return {
            "api": api.json["access"] if api.status_code == 200 else f"none({api.status_code})",
            "api ?q=": case_id in [c["id"] for c in found.json["items"]],
            "page": ("status" if STATUS_NOTE in html else "full") if page.status_code == 200 and title in html
            else f"none({page.status_code})",
            "diagram": browser.get(f"/cases/{case_id}/diagram.mmd").status_code != 404,
            "transition form": browser.get(f"/cases/{case_id}/transitions/hand_off").status_code != 404,
        }

    def check(self, stage: str) -> None:
        lists = {username: self.listed(username) for username in {user for _row, user, _case in STAGES[stage]}}
        for row, username, label in STAGES[stage]:
            level = self.table[row][self.confidential]
            case_id, title = self.cases[label]
            visible = level != "none"
            got = {**self.seen(username, case_id, title),
                   **{name: case_id in ids for name, ids in lists[username].items()}}
            expected = {"api": level, "api ?q=": visible, "api list": visible, "page": level, "list": visible,
                        "diagram": visible, "transition form": visible}
            for surface, want in expected.items():
                if want != got[surface] and not (want == "none" and got[surface] == "none(404)"):
                    self.wrong.append(f"{stage} · {row} · {username} · {label} · {surface}: "
                                      f"expected {want}, got {got[surface]}")


def _register(actor, label: str, matrix: Matrix, **overrides) -> int:
    title = f"{'保密' if matrix.confidential else '普通'}{label}案"
    case = actor.register(title=title, confidential=matrix.confidential, **overrides)
    matrix.cases[label] = (case["id"], title)
    return case["id"]


@pytest.mark.parametrize("confidential", [False, True], ids=["not_confidential", "confidential"])
def test_who_sees_a_case_through_handoff_transfer_and_police_return(actor, web, confidential):
    actors = {name: actor(name, agency, role) for name, (agency, role) in USERS.items()}
    officer, head, cr_head = actors["mr.officer"], actors["mr.head"], actors["cr.head"]
    police_head = actors["police.head"]
    matrix = Matrix(actors, web, confidential)

    _register(officer, "admin", matrix)
    matrix.check("registered")

    handoff = {"receiving_agency": CR, "reason": "属著作权侵权", "materials": "投诉材料"}
    for label in ("pending", "accepted", "returned"):
        officer.fire(_register(officer, label, matrix, ip_type="copyright"), "hand_off", handoff)
    # Only a receiving head may open (and so accept) a confidential handoff.
    accepter = cr_head if confidential else actors["cr.officer"]
    accepted = accepter.fire(matrix.cases["accepted"][0], "accept_handoff")
    assert accepted["assigned_officer"] == accepter.user.username
    cr_head.fire(matrix.cases["returned"][0], "return_handoff", {"reason": "不属本局管辖"})
    matrix.check("handoff")

    received = (today_in_china() - timedelta(days=10)).isoformat()
    admin_id = _register(officer, "investigated", matrix, received_on=received)
    officer.fire(admin_id, "start_verification", {"is_complaint": True})
    head.fire(admin_id, "file_case")
    officer.fire(admin_id, "start_investigation")
    proposed = officer.fire(admin_id, "propose_criminal_transfer", {"reason": "涉嫌犯罪", "task_group": "甲、乙"})
    transfer_id = proposed["links"][0]["id"]
    matrix.cases["transfer"] = (transfer_id, matrix.cases["investigated"][1])
    matrix.check("transfer_proposed")

    head.fire(transfer_id, "approve_transfer")
    officer.fire(transfer_id, "transfer", {"materials": "移送书"})
    matrix.check("transferred")
    # The police head can act on a confidential transfer: accepting it makes them its officer.
    assert "accept_transfer" in police_head.allowed(transfer_id)

    police_head.fire(transfer_id, "accept_transfer")
    police_head.fire(transfer_id, "file_criminal_case", {"decision_number": "哈公立字〔2026〕1号"})
    police_head.fire(transfer_id, "return_for_admin_penalty", {"reason": "不构成犯罪"})
    matrix.check("police_return")

    assert matrix.wrong == [], "\n".join(matrix.wrong)


def test_the_origin_agency_acts_on_a_confidential_transfer_through_the_assigned_officer_and_heads(actor):
    """Reconsideration and handing over seized items stay possible for those who may see the case."""
    officer, head = actor("mr.officer", MR, "officer"), actor("mr.head", MR, "agency_head")
    colleague = actor("mr.officer2", MR, "officer")
    police_head = actor("police.head", POLICE, "agency_head")
    admin = officer.register(confidential=True, received_on=(today_in_china() - timedelta(days=10)).isoformat())
    officer.fire(admin["id"], "start_verification", {"is_complaint": True})
    head.fire(admin["id"], "file_case")
    officer.fire(admin["id"], "start_investigation")
    transfer_id = officer.fire(admin["id"], "propose_criminal_transfer",
                               {"reason": "涉嫌犯罪", "task_group": "甲、乙"})["links"][0]["id"]
    head.fire(transfer_id, "approve_transfer")
    officer.fire(transfer_id, "transfer", {"materials": "移送书"})
    police_head.fire(transfer_id, "accept_transfer")
    police_head.fire(transfer_id, "decline_filing", {"reason": "未达追诉标准"})
    colleague.fire(transfer_id, "request_reconsideration", {"reason": "x"}, expect=404)
    assert officer.fire(transfer_id, "request_reconsideration", {"reason": "金额已达标准"})["access"] == "status"


def test_a_confidential_handoff_reaches_the_receiving_heads_inbox_only(actor, web, make_user):
    officer = actor("mr.officer", MR, "officer")
    make_user("cr.officer", CR, "officer")
    make_user("cr.head", CR, "agency_head")
    case = officer.register(title="保密移交案", confidential=True, ip_type="copyright")
    officer.fire(case["id"], "hand_off", {"receiving_agency": CR, "reason": "属著作权侵权", "materials": "材料"})
    head_inbox = web("cr.head").get("/inbox").get_data(as_text=True)
    assert "保密移交案" in head_inbox and 'id="inbox-handoffs"' in head_inbox
    officer_inbox = web("cr.officer").get("/inbox").get_data(as_text=True)
    assert "保密移交案" not in officer_inbox and case["number"] not in officer_inbox


@pytest.mark.parametrize("confidential", [False, True], ids=["not_confidential", "confidential"])
def test_reminders_of_a_handoff_reach_only_those_who_may_open_it(actor, make_user, confidential):
    """Reminder e-mails carry the case's title: a confidential one goes to the receiving heads only."""
    officer = actor("mr.officer", MR, "officer")
    make_user("cr.officer", CR, "officer")
    make_user("cr.head", CR, "agency_head")
    case = officer.register(confidential=confidential, ip_type="copyright")
    officer.fire(case["id"], "hand_off", {"receiving_agency": CR, "reason": "属著作权侵权", "materials": "材料"})
    db.session.rollback()
    row = db.session.get(Case, case["id"])
    clock = next(c for c in row.clocks if c.key == HANDOFF_CLOCK)
    expected = ["cr.head"] if confidential else ["cr.head", "cr.officer"]
    for threshold in ("before_1", "overdue"):
        assert sorted(u.username for u in recipients(row, clock, threshold)) == expected
