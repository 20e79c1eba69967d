"""Every read of a confidential case is in the audit log (DOMAIN §1), lists and exports too:
one ``case.list_confidential`` entry per request naming the confidential cases it showed, and
nothing for a request that showed none."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from casesys.audit.models import AuditEntry
from casesys.cases.models import Case
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.reminders.models import Notification

MR = "230100-market_regulation"
SECRET, PLAIN = "保密配方案", "普通商标案"


def _ago(days: int) -> str:
    return (today_in_china() - timedelta(days=days)).isoformat()


def _list_reads() -> list[tuple[str, str, list[int]]]:
    db.session.rollback()
    return [(e.actor_name, e.details["surface"], e.details["case_ids"]) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "case.list_confidential").order_by(AuditEntry.id))]


def test_lists_searches_inbox_reminders_drill_downs_and_exports_log_the_confidential_cases_they_show(
        actor, make_user, web):
    officer = actor("mr.officer", MR, "officer")
    make_user("mr.officer2", MR, "officer")
    make_user("prov.sup", "230000-coordination_office", "supervisor")
    # 40 days old: its filing clock is overdue; the plain case is fresh.
    secret = officer.register(title=SECRET, ip_type="trade_secret", received_on=_ago(40))
    plain = officer.register(title=PLAIN, ip_type="trademark", received_on=_ago(1))
    assert secret["confidential"] and not plain["confidential"]
    for case_id in (secret["id"], plain["id"]):
        case = db.session.get(Case, case_id)
        db.session.add(Notification(user_id=officer.user.id, case_id=case_id, clock_id=case.clocks[0].id,
                                    threshold="overdue", due_on=case.clocks[0].due_on))
    db.session.commit()
    assert _list_reads() == []  # registering is not reading

    period = f"from={_ago(60)}&to={_ago(0)}"
    web_officer, web_colleague, web_supervisor = web("mr.officer"), web("mr.officer2"), web("prov.sup")
    api = officer.client
    # (surface, who asks, a request that shows the confidential case, one that shows none)
    surfaces = [
        ("api.cases", lambda url: api.get(url, headers=officer.headers), "/api/v1/cases",
         f"/api/v1/cases?q={PLAIN}"),
        ("cases.index", web_officer.get, "/cases/", f"/cases/?q={PLAIN}"),
        ("cases.index", web_officer.get, f"/cases/?q={SECRET}", "/cases/?ip_type=trademark"),
        ("inbox", web_officer.get, "/inbox", None),
        ("notifications", web_officer.get, "/notifications", None),
        ("overdue", web_officer.get, "/overdue", None),
        ("stats.cases", web_supervisor.get, f"/stats/cases?figure=cases.received&{period}",
         f"/stats/cases?figure=cases.received&{period}&ip_type=trademark"),
        ("stats.export", web_supervisor.get, f"/stats/export/cases.xlsx?figure=cases.received&{period}",
         f"/stats/export/cases.csv?figure=cases.received&{period}&ip_type=trademark"),
    ]
    username = {web_officer.get: "mr.officer", web_supervisor.get: "prov.sup"}
    for surface, get, showing, showing_none in surfaces:
        before = len(_list_reads())
        response = get(showing)
        assert response.status_code == 200, surface
        assert _list_reads()[before:] == [(username.get(get, "mr.officer"), surface, [secret["id"]])], surface
        if showing_none is not None:
            response = get(showing_none)
            assert response.status_code == 200, surface
            assert len(_list_reads()) == before + 1, f"{surface}: {showing_none} showed no confidential case"

    # The colleague's inbox, list and overdue page show the plain case only: nothing logged.
    before = len(_list_reads())
    for url in ("/inbox", "/cases/", "/overdue", "/notifications"):
        page = web_colleague.get(url).get_data(as_text=True)
        assert SECRET not in page, url
    assert web_colleague.get("/cases/").get_data(as_text=True).count(PLAIN) == 1
    assert len(_list_reads()) == before



def test_naming_a_confidential_cases_respondent_among_repeat_respondents_is_logged(actor, make_user, web,
                                                                                   api_token):
    """The repeat-respondent figures show a respondent's name, which may come from a confidential
    case: the dashboard tab, its export and the API summary log those cases."""
    company = {"role": "respondent", "kind": "organisation", "name": "某某配方有限公司", "uscc": "91350100M000100Y43"}
    mr = actor("mr.officer", MR, "officer")
    copyright_officer = actor("cr.officer", "230100-copyright", "officer")
    secret = mr.register(title=SECRET, ip_type="trade_secret", received_on=_ago(5), parties=[company])
    copyright_officer.register(title=PLAIN, ip_type="copyright", received_on=_ago(5), parties=[company])
    assert secret["confidential"]
    supervisor = make_user("prov.sup", "230000-coordination_office", "supervisor")
    period = f"from={_ago(30)}&to={_ago(0)}"
    browser = web("prov.sup")

    page = browser.get(f"/stats?tab=respondents&{period}")
    assert page.status_code == 200 and "某某配方有限公司" in page.get_data(as_text=True)
    export = browser.get(f"/stats/export/repeat_respondents.csv?{period}")
    assert export.status_code == 200
    summary = browser.get(f"/api/v1/stats/summary?sections=respondents&{period}", headers=api_token(supervisor))
    assert summary.status_code == 200 and summary.json["repeat_respondents"]["count"] == 1
    assert _list_reads() == [("prov.sup", "stats.respondents", [secret["id"]]),
                             ("prov.sup", "stats.export", [secret["id"]]),
                             ("prov.sup", "api.stats.summary", [secret["id"]])]

    # A period in which the respondent is not repeated names nobody: nothing logged.
    browser.get(f"/stats?tab=respondents&from={_ago(400)}&to={_ago(300)}")
    assert len(_list_reads()) == 3
