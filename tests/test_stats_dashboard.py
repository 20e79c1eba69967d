"""The supervisor dashboard (统计分析): numbers computed from cases built through the API, each
linking to exactly the cases behind it; filters within the supervisor's area; safe exports."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from markupsafe import escape
from sqlalchemy import select

from casesys.audit.models import AuditEntry
from casesys.core.types import today_in_china
from casesys.extensions import db
from tests.factories import VALID_USCC

MR, QQ_MR, PROV_MR = "230100-market_regulation", "230200-market_regulation", "230000-market_regulation"
XLSX_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
HYPERLINK = '=HYPERLINK("http://evil.example/?q=1","点击查看")'


def _ago(days: int) -> str:
    return (today_in_china() - timedelta(days=days)).isoformat()


@pytest.fixture
def period() -> dict:
    return {"from": _ago(60), "to": _ago(0)}


@pytest.fixture
def world(actor, make_user):
    """Market-regulation cases in Harbin, Qiqihar and at the province, received in the last 60 days
    (and one before), two filed as unfair competition, one respondent in both cities:

    h1  Harbin   unfair_competition  received 40 days ago, filed 30 days ago, ¥12,345.67
    h2  Harbin   trademark           received 20 days ago, respondent VALID_USCC
    q1  Qiqihar  unfair_competition  received 35 days ago, filed 25 days ago
    q2  Qiqihar  trademark           received 10 days ago, respondent VALID_USCC
    p1  province trademark           received 5 days ago
    old Harbin   trademark           received 100 days ago (before the period)
    """
    hrb, hrb_head = actor("mr.officer", MR, "officer"), actor("mr.head", MR, "agency_head")
    qq, qq_head = actor("qq.officer", QQ_MR, "officer"), actor("qq.head", QQ_MR, "agency_head")
    prov = actor("prov.officer", PROV_MR, "officer")
    make_user("prov.sup", "230000-coordination_office", "supervisor")
    make_user("hrb.sup", MR, "supervisor")
    make_user("hrb.viewer", MR, "officer")

    respondent = [{"role": "respondent", "kind": "organisation", "name": "某商贸有限公司", "uscc": VALID_USCC}]
    cases = {
        "h1": hrb.register(title=HYPERLINK, ip_type="unfair_competition", received_on=_ago(40),
                           amount_involved="12345.67"),
        "h2": hrb.register(title="+86 假冒商标案", received_on=_ago(20), parties=respondent),
        "q1": qq.register(title="-齐齐哈尔仿冒包装案", ip_type="unfair_competition", region="230200",
                          received_on=_ago(35)),
        "q2": qq.register(title="@SUM(A1) 商标案", region="230200", received_on=_ago(10), parties=respondent),
        "p1": prov.register(title="省局商标案", region="230000", received_on=_ago(5)),
        "old": hrb.register(title="旧案", received_on=_ago(100)),
    }
    for name, officer, head, filed in (("h1", hrb, hrb_head, 30), ("q1", qq, qq_head, 25)):
        case_id = cases[name]["id"]
        officer.fire(case_id, "start_verification", {"is_complaint": True}, effective_on=_ago(filed + 1))
        head.fire(case_id, "file_case", {"note": "符合立案条件"}, effective_on=_ago(filed))
    db.session.commit()
    return cases


def _page(response) -> str:
    return response.get_data(as_text=True)


def _text_of(page: str, element_id: str) -> str:
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', page)
    assert match, f"no #{element_id} on the page"
    return match.group(1).strip()


def _href_of(page: str, element_id: str) -> str:
    match = re.search(rf'<a[^>]*href="([^"]+)"[^>]*id="{re.escape(element_id)}"', page)
    assert match, f"no link #{element_id}"
    return html.unescape(match.group(1))


def _drill(client, href: str) -> tuple[int, list[str]]:
    """(the count a drill-down states, the case numbers it lists)."""
    response = client.get(href)
    assert response.status_code == 200, href
    page = _page(response)
    count = int(re.sub(r"\D", "", _text_of(page, "drill-count")))
    return count, re.findall(r'class="case-number">([^<]+)<', page)


def _numbers(world, *names) -> list[str]:
    """Case numbers in the drill-down's order (newest first)."""
    return [world[n]["number"] for n in sorted(names, key=lambda n: -world[n]["id"])]


def test_supervisor_sees_the_computed_numbers(world, web, period):
    client = web("prov.sup")
    response = client.get("/stats", query_string=period)
    assert response.status_code == 200
    page = _page(response)
    assert _text_of(page, "fig-cases-received") == "5"
    assert _text_of(page, "fig-cases-filed") == "2"
    assert _text_of(page, "fig-cases-closed") == "0"
    assert _text_of(page, "fig-cases-open_at_end") == "6"  # the old case too: open at the end
    assert _text_of(page, "plan-value-market_regulation-unfair_competition_cases") == "2"
    assert _text_of(page, "by-city-230100-cases-received") == "2"
    assert _text_of(page, "by-city-230200-cases-received") == "2"
    assert _text_of(page, "by-city-230000-cases-received") == "1"
    assert _text_of(page, "by-ip_type-unfair_competition-cases-filed") == "2"
    assert _text_of(page, "by-agency_kind-market_regulation-cases-received") == "5"
    assert page.count("<canvas") == 4  # the trend and three breakdowns
    assert page.count("data-chart='") == 4 and "style=" not in page
    # The tabs and the exports keep the filters.
    assert f'from={period["from"]}' in _href_of(page, "tab-clocks")
    assert f'from={period["from"]}' in _href_of(page, "export-by_city-xlsx")

    qiqihar = _page(client.get("/stats", query_string={**period, "region": "230200"}))
    assert _text_of(qiqihar, "fig-cases-received") == "2"
    assert _text_of(qiqihar, "fig-cases-filed") == "1"
    assert _text_of(qiqihar, "plan-value-market_regulation-unfair_competition_cases") == "1"
    assert "by-city-230100" not in qiqihar


def test_numbers_drill_down_to_exactly_the_cases_behind_them(world, web, period):
    client = web("prov.sup")
    page = _page(client.get("/stats", query_string=period))
    assert _drill(client, _href_of(page, "fig-cases-filed")) == (2, _numbers(world, "h1", "q1"))
    assert _drill(client, _href_of(page, "fig-cases-received")) == (5, _numbers(world, "h1", "h2", "q1", "q2", "p1"))
    assert _drill(client, _href_of(page, "plan-value-market_regulation-unfair_competition_cases")) == \
        (2, _numbers(world, "h1", "q1"))
    assert _drill(client, _href_of(page, "by-city-230200-cases-received")) == (2, _numbers(world, "q1", "q2"))
    # Cases registered at the province itself, not every city below it.
    assert _drill(client, _href_of(page, "by-city-230000-cases-received")) == (1, _numbers(world, "p1"))
    assert _drill(client, _href_of(page, "by-ip_type-unfair_competition-cases-filed")) == \
        (2, _numbers(world, "h1", "q1"))
    # The trend: the bucket of h1's filing lists the cases filed in that bucket of the period.
    bucket = _ago(30)[:7]
    filed_then = [n for n in ("h1", "q1") if {"h1": _ago(30), "q1": _ago(25)}[n][:7] == bucket]
    href = _href_of(page, f"trend-{bucket}-cases-filed")
    assert _drill(client, href) == (len(filed_then), _numbers(world, *filed_then))
    # A rate links to its numerator's cases; money to the cases it adds up.
    assert "figure=cases.handling_days_total" in _href_of(page, "fig-cases-handling_days_avg")
    assert "figure=cases.amount_involved_yuan" in _href_of(page, "fig-cases-amount_involved_yuan")
    assert "figure=court.civil_first_instance.concluded" in \
        _href_of(page, "plan-value-court-civil_first_instance-closure_rate")
    assert _href_of(page, "plan-value-copyright-inspected_units").startswith(
        f"/reports/inspections?from={period['from']}&to={period['to']}")

    drill = _page(client.get("/stats/cases", query_string={**period, "figure": "cases.filed"}))
    h1 = world["h1"]
    assert f'href="/cases/{h1["id"]}" class="case-number">{h1["number"]}</a>' in drill
    assert str(escape(HYPERLINK)) in drill and "12,345.67" in drill


def test_the_drill_down_is_paged(world, web, period, monkeypatch):
    from casesys.stats import views

    assert views.PAGE_SIZE == 50
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client = web("prov.sup")
    page = _page(client.get("/stats/cases", query_string={**period, "figure": "cases.received"}))
    assert int(re.sub(r"\D", "", _text_of(page, "drill-count"))) == 5
    listed, pages = re.findall(r'class="case-number">([^<]+)<', page), 1
    while 'id="next-page"' in page:
        page = _page(client.get(_href_of(page, "next-page")))
        listed += re.findall(r'class="case-number">([^<]+)<', page)
        pages += 1
        assert int(re.sub(r"\D", "", _text_of(page, "drill-count"))) == 5  # the total on every page
    assert pages == 3
    assert listed == _numbers(world, "h1", "h2", "q1", "q2", "p1")


def test_city_supervisor_stays_in_their_city(world, web, period):
    client = web("hrb.sup")
    refused = client.get("/stats", query_string={**period, "region": "230200"},
                         headers={"Accept-Language": "en"})
    assert refused.status_code == 422
    assert "outside your area" in _text_of(_page(refused), "error-region")
    assert client.get("/stats/cases", query_string={**period, "region": "230200", "figure": "cases.received"}
                      ).status_code == 422
    assert client.get("/stats/export/by_city.csv", query_string={**period, "region": "230200"}).status_code == 422

    page = _page(client.get("/stats", query_string=period))
    assert _text_of(page, "fig-cases-received") == "2"
    assert re.findall(r'<option value="(\d*)"', page.split('id="f-region"')[1].split("</select>")[0]) == ["230100"]
    assert _drill(client, _href_of(page, "fig-cases-received")) == (2, _numbers(world, "h1", "h2"))


def test_who_may_see_the_dashboard(world, web, client, period):
    assert client.get("/stats").status_code == 302
    assert client.get("/stats").location.startswith("/login")
    officer = web("hrb.viewer")
    for url in ("/stats", "/stats/cases?figure=cases.filed", "/stats/export/headline.xlsx"):
        assert officer.get(url).status_code == 403, url


def test_bad_filters_are_refused_beside_the_field(world, web):
    client = web("prov.sup")
    english = {"Accept-Language": "en"}
    response = client.get("/stats", query_string={"from": "2026-13-40", "bucket": "week"}, headers=english)
    assert response.status_code == 422
    page = _page(response)
    assert _text_of(page, "error-from") == "not a date (YYYY-MM-DD)"
    assert _text_of(page, "error-bucket") == "choose month, quarter or year"
    assert 'value="2026-13-40"' in page  # what was typed stays in the field
    backwards = client.get("/stats", query_string={"from": "2026-06-01", "to": "2026-05-01"}, headers=english)
    assert backwards.status_code == 422
    assert _text_of(_page(backwards), "error-to") == "must not be before the start of the period"
    drill = client.get("/stats/cases", query_string={"figure": "cases.filed", "ip_type": "nonsense"},
                       headers=english)
    assert drill.status_code == 422 and "not an IP type" in _page(drill)


def test_unknown_figures_tables_formats_and_tabs_are_not_found(world, web, period):
    client = web("prov.sup")
    for url in ("/stats/cases?figure=cases.nonsense", "/stats/cases", "/stats/cases?figure=respondents.repeat",
                "/stats/export/nonsense.xlsx", "/stats/export/headline.pdf", "/stats/export/cases.csv?figure=x",
                "/stats?tab=secrets"):
        assert client.get(url).status_code == 404, url


def test_the_other_tabs(world, web, period):
    client = web("prov.sup")
    flows = _page(client.get("/stats", query_string={**period, "tab": "flows"}))
    assert 'id="chart-funnel"' in flows and _text_of(flows, "fig-transfers-proposed") == "0"
    assert "figure=transfers.filed_by_police" in _href_of(flows, "fig-transfers-police_filing_rate")

    clocks = client.get("/stats", query_string={**period, "tab": "clocks"})
    assert clocks.status_code == 200
    page = _page(clocks)
    row = "clock-admin_enforcement-filing_decision"
    assert row in page and 'id="chart-clocks"' in page
    due = int(_text_of(page, f"{row}-due"))
    count, listed = _drill(client, _href_of(page, f"{row}-due"))
    assert count == due and len(listed) == due and due >= 2

    respondents = _page(client.get("/stats", query_string={**period, "tab": "respondents"}))
    assert re.search(r'id="respondent-count">[^<]*<strong>1</strong>', respondents)
    assert _drill(client, _href_of(respondents, f"respondent-{VALID_USCC}-cases")) == \
        (2, _numbers(world, "h2", "q2"))


def _xlsx(body: bytes) -> tuple[list[str], str]:
    """(the shared strings, sheet1's XML) of a workbook."""
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        assert book.testzip() is None
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings_xml = book.read("xl/sharedStrings.xml")
    strings = ["".join(si.itertext()) for si in ElementTree.fromstring(strings_xml).findall("m:si", XLSX_NS)]
    return strings, sheet


def test_xlsx_export_keeps_formula_like_titles_as_text(world, web, period):
    client = web("prov.sup")
    response = client.get("/stats/export/cases.xlsx", query_string={**period, "figure": "cases.received"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="casesys-cases-{period["from"]}-{period["to"]}.xlsx"'
    strings, sheet = _xlsx(response.data)
    for title in (HYPERLINK, "+86 假冒商标案", "-齐齐哈尔仿冒包装案", "@SUM(A1) 商标案"):
        assert title in strings
    assert "<f>" not in sheet and "<f " not in sheet
    assert "案件编号" in strings and "案件名称" in strings  # headers in the UI's language (Chinese)
    assert "<v>12345.67</v>" in sheet  # money as an exact number
    assert all(world[n]["number"] in strings for n in ("h1", "h2", "q1", "q2", "p1"))
    assert world["old"]["number"] not in strings

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "stats.export"))
    assert entry.actor_name == "prov.sup" and entry.object_id == "cases"
    assert entry.details["format"] == "xlsx" and entry.details["figure"] == "cases.received"
    assert entry.details["rows"] == 5 and entry.details["filters"]["from"] == period["from"]


DASHBOARD_TABLES = ("plan_figures", "headline", "trend", "by_agency_kind", "by_city", "by_ip_type", "flows",
                    "clocks", "repeat_respondents")


def test_every_dashboard_table_exports(world, web, period):
    client = web("prov.sup")
    pages = "".join(_page(client.get("/stats", query_string={**period, "tab": tab}))
                    for tab in ("overview", "flows", "clocks", "respondents"))
    for table in DASHBOARD_TABLES:
        for fmt in ("xlsx", "csv"):
            assert f"/stats/export/{table}.{fmt}?" in _href_of(pages, f"export-{table}-{fmt}")
        xlsx = client.get(f"/stats/export/{table}.xlsx", query_string=period)
        assert xlsx.status_code == 200, table
        strings, sheet = _xlsx(xlsx.data)
        assert "<f>" not in sheet and period["from"] in " ".join(strings), table
        comma = client.get(f"/stats/export/{table}.csv", query_string=period)
        assert comma.status_code == 200 and comma.data.startswith("\ufeff".encode()), table
        assert comma.headers["Content-Disposition"] == \
            f'attachment; filename="casesys-{table}-{period["from"]}-{period["to"]}.csv"'
    exported = db.session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "stats.export")).all()
    assert sorted(exported) == sorted(DASHBOARD_TABLES * 2)

    plan = _xlsx(client.get("/stats/export/plan_figures.xlsx", query_string=period).data)[0]
    assert "market_regulation.unfair_competition_cases" in plan and "25亿余元 (> 2,500,000,000)" in plan


def test_csv_export_has_a_bom_chinese_labels_and_no_formulas(world, web, period):
    client = web("prov.sup")
    by_kind = client.get("/stats/export/by_agency_kind.csv", query_string=period)
    assert by_kind.mimetype == "text/csv"
    text = by_kind.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][1] == "机构类型"
    assert rows[1][:3] == ["market_regulation", "市场监督管理局", "5"]

    cases = client.get("/stats/export/cases.csv", query_string={**period, "figure": "cases.received"})
    rows = list(csv.reader(io.StringIO(cases.data.decode("utf-8").removeprefix("\ufeff"))))
    assert rows[0][:2] == ["案件编号", "案件名称"]
    titles = {row[1] for row in rows[1:]}
    assert titles == {"'" + HYPERLINK, "'+86 假冒商标案", "'-齐齐哈尔仿冒包装案", "'@SUM(A1) 商标案", "省局商标案"}
    amounts = {row[0]: row[-1] for row in rows[1:]}
    assert amounts[world["h1"]["number"]] == "12345.67"


def test_exports_neutralise_formulas_in_every_text_cell():
    from datetime import date
    from decimal import Decimal

    from casesys.stats.exports import Percent, Table, content_disposition, csv_text, to_csv, to_xlsx

    assert [csv_text(s) for s in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx", "a=1")] == \
        ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "a=1"]
    table = Table("t", "=title", ["=head"], [["=cmd|' /C calc'!A0", 7, Decimal("2538416735.52"), Percent(0.989),
                                             date(2020, 12, 31), None, Decimal("12345678901234567.89")]])
    strings, sheet = _xlsx(to_xlsx(table))
    assert {"=title", "=head", "=cmd|' /C calc'!A0", "12345678901234567.89"} <= set(strings)
    assert "<f>" not in sheet and "<v>2538416735.52</v>" in sheet and "<v>0.989</v>" in sheet
    line = to_csv(table).decode("utf-8").splitlines()[1]
    assert line == "'=cmd|' /C calc'!A0,7,2538416735.52,98.9%,2020-12-31,,12345678901234567.89"
    assert content_disposition("统计.csv") == "attachment; filename=\"__.csv\"; filename*=UTF-8''%E7%BB%9F%E8%AE%A1.csv"


def test_the_overview_reads_the_cases_in_one_grouped_pass(world, web, period):
    """The first page must stay fast on a million cases: the grouped pass, the trend (one index scan
    per date column) and two counts of open work; no query per table, card or link. Opened again
    with the records unchanged, it reads the stored view and aggregates nothing."""
    from sqlalchemy import event

    client = web("prov.sup")

    def aggregates_over_cases() -> list[str]:
        statements = []

        def seen(_conn, _cursor, statement, *_args):
            statements.append(" ".join(statement.split()))

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            assert client.get("/stats", query_string=period).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        # The data version (a few max() lookups) is not an aggregate over the cases.
        return [s for s in statements if re.search(r"\bFROM cases\b", s) and "max(cases.id)" not in s]

    first = aggregates_over_cases()
    assert len(first) == 6, first  # the grouped pass, the trend per date column (3), two counts of open work
    assert sum("GROUP BY agencies.kind, cases.region_code, cases.ip_type" in s for s in first) == 1
    assert aggregates_over_cases() == []


@pytest.mark.parametrize("bucket", ["quarter", "year"])
def test_the_trend_by_quarter_and_year_drills_down_to_its_bucket(world, web, period, bucket):
    client = web("prov.sup")
    page = _page(client.get("/stats", query_string={**period, "bucket": bucket}))
    buckets = re.findall(r'id="trend-([0-9Q-]+)-cases-received"', page)
    assert buckets and all(re.fullmatch(r"\d{4}-Q[1-4]" if bucket == "quarter" else r"\d{4}", b) for b in buckets)
    total = 0
    for name in buckets:
        count, listed = _drill(client, _href_of(page, f"trend-{name}-cases-received"))
        assert count == int(_text_of(page, f"trend-{name}-cases-received")) == len(listed)
        total += count
    assert total == 5
