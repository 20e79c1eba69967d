"""Browser tests: Playwright drives Debian's Chromium against a live server.

Outside CI they skip with a message naming what is missing; under CI=true they must run.
"""

from __future__ import annotations

import os
import shutil
import threading
from datetime import date, timedelta

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("CASESYS_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI") == "true"
pytestmark = pytest.mark.browser


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        return f"Chromium is not at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture
def browser():
    if reason := _missing():
        if IN_CI:
            pytest.fail(f"browser tests must run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_officer_logs_in_registers_finds_a_case_and_switches_language(app, make_user, live_server, browser):
    make_user("hrb.browser", "230100-market_regulation", "officer")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/cases/")
    assert "/login" in page.url

    page.fill("#username", "hrb.browser")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/cases/")
    assert page.locator("h1").inner_text() == "案件"

    page.click("text=登记案件")
    page.fill("#title", "浏览器登记的商标侵权案")
    page.select_option("#ip_type", "trademark")
    page.select_option("#source", "complaint")
    page.fill("#received_on", (date.today() - timedelta(days=2)).isoformat())
    page.fill("#amount_involved", "8800")
    page.select_option("#complainant-kind", "organisation")
    page.fill("#complainant-party_name", "某品牌公司")
    page.fill("#complainant-uscc", "91350100M000100Y43")
    page.fill("#respondent-party_name", "某商店")
    page.click("#register-case button[type=submit]")
    page.wait_for_url("**/cases/*")
    number = page.locator("#case-number").inner_text()
    assert number.startswith("230100-SJ-")
    assert "案件登记" in page.locator("#timeline").inner_text()

    page.goto(f"{live_server}/cases/")
    page.select_option("#ip_type", "trademark")
    page.click("#case-filters button[type=submit]")
    assert number in page.locator("#case-list").inner_text()
    page.select_option("#ip_type", "copyright")
    page.click("#case-filters button[type=submit]")
    assert page.locator("#case-list").count() == 0

    page.click("#switch-language")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Cases"
    page.goto(f"{live_server}/cases/")
    assert page.locator("h1").inner_text() == "Cases"  # remembered
    context.close()
