"""Browser test of the supervisor dashboard: charts drawn under the CSP, filter, drill down, export.

Like tests/test_browser.py: Playwright drives Debian's Chromium against a live server; outside CI
it skips with a message naming what is missing.
"""

from __future__ import annotations

import zipfile
from datetime import timedelta

import pytest

from casesys.core.types import today_in_china
from tests.conftest import PASSWORD
from tests.test_browser import browser, live_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def _ago(days: int) -> str:
    return (today_in_china() - timedelta(days=days)).isoformat()


def test_supervisor_filters_drills_down_and_exports(app, actor, make_user, live_server, browser, tmp_path):  # noqa: F811
    hrb = actor("mr.officer", "230100-market_regulation", "officer")
    hrb_head = actor("mr.head", "230100-market_regulation", "agency_head")
    qq = actor("qq.officer", "230200-market_regulation", "officer")
    harbin = hrb.register(title="哈尔滨仿冒包装案", ip_type="unfair_competition", received_on=_ago(30))
    hrb.fire(harbin["id"], "start_verification", {"is_complaint": True}, effective_on=_ago(29))
    hrb_head.fire(harbin["id"], "file_case", effective_on=_ago(28))
    hrb.register(title="哈尔滨商标案", received_on=_ago(20))
    qiqihar = qq.register(title="齐齐哈尔商标案", region="230200", received_on=_ago(10))
    make_user("prov.sup", "230000-coordination_office", "supervisor")

    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server}/login")
    page.fill("#username", "prov.sup")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server}/stats?from={_ago(60)}&to={_ago(0)}")
    assert page.locator("h1").inner_text() == page.title().split(" · ")[0]
    assert page.evaluate("document.querySelector('canvas[data-chart]').chart !== undefined")
    assert page.evaluate("[...document.querySelectorAll('canvas[data-chart]')].every(c => c.chart !== undefined)")
    assert page.locator("canvas[data-chart]").count() == 4
    assert page.locator("#fig-cases-received").inner_text() == "3"

    # Clicking a bar of the city chart drills down to that city's cases.
    x, y = page.evaluate("""() => {
        const canvas = document.querySelector('#chart-city');
        canvas.scrollIntoView({block: 'center'});
        const box = canvas.getBoundingClientRect();
        const bar = canvas.chart.getDatasetMeta(0).data[0];
        return [box.left + bar.x, box.top + (bar.y + bar.base) / 2];
    }""")
    page.mouse.click(x, y)
    page.wait_for_url("**/stats/cases?**")
    assert "region=230100" in page.url and "figure=cases.received" in page.url
    assert page.locator("#drill-cases tbody tr").count() == 2
    page.go_back()
    page.wait_for_load_state()

    # Filter to Qiqihar; the figures follow and a number drills down to its case.
    page.select_option("#f-region", "230200")
    page.click("#stats-filters button[type=submit]")
    page.wait_for_url("**region=230200**")
    assert page.locator("#fig-cases-received").inner_text() == "1"
    assert page.locator("#fig-cases-filed").inner_text() == "0"
    page.click("#fig-cases-received")
    page.wait_for_url("**/stats/cases?**")
    assert page.locator("#drill-cases tbody tr").count() == 1
    assert qiqihar["number"] in page.locator("#drill-cases").inner_text()
    assert harbin["number"] not in page.locator("#drill-cases").inner_text()

    with page.expect_download() as download:
        page.click("#export-cases-xlsx")
    assert download.value.suggested_filename == f"casesys-cases-{_ago(60)}-{_ago(0)}.xlsx"
    saved = tmp_path / "cases.xlsx"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as book:
        assert book.testzip() is None
        assert "xl/worksheets/sheet1.xml" in book.namelist()
        assert qiqihar["number"] in book.read("xl/sharedStrings.xml").decode()

    assert problems == [], problems  # no CSP violation, no script error
    context.close()
