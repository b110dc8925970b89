"""The recipient's page in a real headless Chromium: read the notes, ask, see a cited answer."""

from __future__ import annotations

import os
import shutil

import httpx
import pytest
import test_share_helpers
from test_share_helpers import BLOCKS, SEGMENTS, XSS, publish

from notes_app.domain import Block, Citation
from notes_app.share.model import Snapshot

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and shutil.which(CHROMEDRIVER)),
    reason="needs Debian's chromium and chromium-driver",
)

share_server = test_share_helpers.share_server  # the fixture: uvicorn on 127.0.0.1


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=420,900",  # a phone-sized window
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    # An alert raised by hostile content must stay open so the test can see it.
    options.set_capability("unhandledPromptBehavior", "ignore")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _snapshot_with_hostile_lines() -> Snapshot:
    hostile = tuple(Block("bullet", x, "user", 50 + i) for i, x in enumerate(XSS))
    hostile += (Block("bullet", XSS[1] + " aside", "ai", 60, (Citation(0, 0.0, 4.0),)),)
    return Snapshot(
        title="Launch planning " + XSS[0],
        date="2025-03-01T14:05:00+00:00",
        attendees=("Sarah", XSS[1]),
        blocks=BLOCKS + hostile,
        segments=SEGMENTS,
    )


def _no_alert(driver) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return True
    alert.dismiss()
    return False


def test_recipient_reads_and_asks_in_chromium(share_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    shared = publish(share_server, _snapshot_with_hostile_lines(), include_transcript=True)
    browser.get(shared["url"])
    wait = WebDriverWait(browser, 30)
    assert _no_alert(browser)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Launch planning " + XSS[0]
    notes = browser.find_element(By.CSS_SELECTOR, "article.notes").text
    assert "Sarah owns the pricing page; draft due Friday." in notes
    assert "<img src=x onerror=alert(1)>" in notes  # shown as text, not run
    _screenshot(browser, "top")
    topics = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav.topics a")]
    assert topics == ["Launch", "Pricing"]

    # Tapping a citation shows the quoted transcript.
    browser.find_element(By.CSS_SELECTOR, 'li.ai .cite[data-segment="2"]').click()
    quote = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "q.quote")))
    assert "Sarah will own the pricing page" in quote.text

    browser.find_element(By.ID, "question").send_keys("Who owns the pricing page?")
    browser.find_element(By.ID, "ask-button").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#answer ul.citations li")))
    answer = browser.find_element(By.CSS_SELECTOR, "#answer p.answer").text
    assert "Sarah" in answer
    cites = browser.find_elements(By.CSS_SELECTOR, "#answer ul.citations li")
    assert any("00:09" in c.text and "pricing page" in c.text for c in cites)
    assert _no_alert(browser)
    # The CSP refused nothing of ours (no inline style or script was blocked).
    logs = browser.execute_script("return document.querySelectorAll('style,script').length")
    assert logs == 2
    _screenshot(browser, "answered")
    assert httpx.get(shared["url"]).status_code == 200


def _screenshot(driver, name: str) -> None:
    """For a person to look at the page: set SHARE_SCREENSHOT_DIR=/tmp when running this test."""
    folder = os.environ.get("SHARE_SCREENSHOT_DIR")
    if folder:
        driver.save_screenshot(os.path.join(folder, f"share-page-{name}.png"))


ATTACK_PAGE = """<!doctype html><html><head><title>win a prize</title></head><body>
<iframe name="sink"></iframe>
<form id="f" method="post" enctype="text/plain" action="ASK" target="sink">
<input name='{"question":"csrf form","x":"' value='"}'></form>
<script>
var q = function (w) { return JSON.stringify({question: 'csrf ' + w}); };
var sent = [
  fetch('ASK', {method: 'POST', mode: 'no-cors', headers: {'Content-Type': 'text/plain'},
                body: q('text')}),
  fetch('ASK', {method: 'POST', mode: 'no-cors',
                headers: {'Content-Type': 'application/json'}, body: q('no-cors json')}),
  fetch('ASK', {method: 'POST', headers: {'Content-Type': 'application/json'},
                body: q('cors json')}),
];
document.getElementById('f').submit();
Promise.allSettled(sent).then(function () { document.title = 'sent'; });
</script></body></html>"""


def test_a_page_on_another_origin_cannot_ask(tmp_path, browser):
    """A page elsewhere tries every way a browser lets it send a question to the share: a
    no-cors fetch as text/plain and as JSON, a CORS fetch and a text/plain form. None of them
    reaches the answerer; the share's own page still can."""
    from selenium.webdriver.support.ui import WebDriverWait
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route
    from test_share_helpers import MovableClock, RunningServer, serve_in_thread

    from notes_app.share.answer import answer_question
    from notes_app.share.server import create_app
    from notes_app.share.snapshots import SnapshotStore

    asked: list[str] = []
    seen: list[tuple[str, str, int]] = []

    def answerer(snapshot, question):
        asked.append(question)
        return answer_question(snapshot, question)

    store = SnapshotStore(tmp_path / "srv", clock=MovableClock())
    token = store.create_token("tests")
    share_app = create_app(store, answerer=answerer)

    async def recording(scope, receive, send):
        async def noting(message):
            if message["type"] == "http.response.start":
                seen.append((scope["method"], scope["path"], message["status"]))
            await send(message)

        await share_app(scope, receive, noting)

    with serve_in_thread(recording) as url:
        shared = publish(RunningServer(url, token, store, None), BLOCKS_ONLY)
        ask_url = shared["url"] + "/ask"

        async def attack(request):
            return HTMLResponse(ATTACK_PAGE.replace("ASK", ask_url))

        with serve_in_thread(Starlette(routes=[Route("/", attack)])) as evil:
            evil = evil.replace("127.0.0.1", "localhost")  # another origin
            browser.get(evil + "/")
            WebDriverWait(browser, 30).until(lambda d: d.title == "sent")
            WebDriverWait(browser, 30).until(
                lambda d: sum(1 for m, p, _ in seen if m == "POST" and p.endswith("/ask")) >= 3
            )
        assert asked == []
        posts = [status for m, p, status in seen if m == "POST" and p.endswith("/ask")]
        assert posts and all(status in (403, 415) for status in posts), seen

        # The share's own page asks as before.
        from selenium.webdriver.common.by import By

        browser.get(shared["url"])
        browser.find_element(By.ID, "question").send_keys("When is the launch?")
        browser.find_element(By.ID, "ask-button").click()
        WebDriverWait(browser, 30).until(lambda d: asked)
    store.close()
    assert asked == ["When is the launch?"]


BLOCKS_ONLY = Snapshot("Launch planning", None, (), BLOCKS, ())
