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


def _sign_in(browser, live_server, username):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/cases/")
    return context, page


def test_a_case_is_handed_off_and_accepted_through_the_inbox(app, make_user, live_server, browser):
    from casesys.agencies.models import Agency
    from casesys.cases.schemas import CaseIn
    from casesys.extensions import db
    from casesys.workflows.registration import register_case
    from tests.factories import case_payload

    sender = make_user("hrb.sender", "230100-market_regulation", "officer")
    make_user("hrb.copyright", "230100-copyright", "officer")
    case = register_case(sender, CaseIn(**case_payload(ip_type="copyright")))
    case_id, old_number = case.id, case.number
    db.session.commit()

    context, page = _sign_in(browser, live_server, "hrb.sender")
    page.goto(f"{live_server}/cases/{case_id}")
    assert page.locator("#workflow-diagram .wf-current").count() == 1
    page.click("#action-hand_off")
    page.select_option("#receiving_agency", "230100-copyright")
    page.fill("#reason", "属著作权侵权，移交版权主管部门")
    page.fill("#materials", "投诉书、权属证明、购买凭证")
    page.click("#submit-transition")
    page.wait_for_url(f"**/cases/{case_id}")
    assert page.locator("#pending-handoff").is_visible()
    context.close()

    context, page = _sign_in(browser, live_server, "hrb.copyright")
    assert page.locator("#nav-inbox .count").inner_text() == "1"
    page.click("#nav-inbox")
    page.click(f"#inbox-handoffs >> text={old_number}")
    page.wait_for_url(f"**/cases/{case_id}")
    page.click("#action-accept_handoff")
    page.fill("#note", "材料齐全，予以接收")
    page.click("#submit-transition")
    page.wait_for_url(f"**/cases/{case_id}")
    assert page.locator("#case-number").inner_text().startswith("230100-BQ-")
    agency = db.session.scalar(db.select(Agency).where(Agency.code == "230100-copyright"))
    assert page.locator("#case-agency").inner_text() == agency.name_zh
    assert old_number in page.locator("#former-numbers").inner_text()
    assert page.locator("#pending-handoff").count() == 0
    context.close()
