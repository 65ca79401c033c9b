"""The console in a real browser (Debian's Chromium driven by Playwright): find a ticket
opened through the API on the board, press a trigger and see the timeline and the lit
step change, and see a trigger fired from the command line arrive on the open page
live. Screenshots of the board and a ticket page (desktop, and a 390 px phone) are
written to $ESCFLOW_SCREENSHOTS (else the test's temporary folder)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from escflow.render._text import PATH_FILL
from tests.conftest import FLOWS, escflow
from tests.http.conftest import MONDAY_9_UTC, Api
from tests.http.console import SECRETS, api_auth, console_server

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")

ARABIC = """\
escflow: 1
kind: flow
id: shakwa
name: شكوى من جودة المنتج
issue_type: customer-service
language: ar
priorities: {critical: {entry: 2}}
levels:
  - level: 1
    contact: representative
    window: 15-30 minutes
    responses: [الاستماع إلى العميل]
    triggers:
      - id: yatlub-mudir
        label: يطلب العميل مديرا
      - id: hulla
        label: تم الحل
        to: resolved
  - level: 2
    contact: support-manager
    window: 30 minutes - 1 hour
    responses: [مراجعة الحالة]
    triggers:
      - id: hulla
        label: تم الحل
        to: resolved
"""


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    """The repository's flows and an Arabic one beside them."""
    folder = tmp_path / "flows"
    shutil.copytree(FLOWS, folder)
    (folder / "shakwa.yaml").write_text(ARABIC, encoding="utf-8")
    return folder


@pytest.fixture
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ESCFLOW_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page: Page, api: Api, name: str) -> None:
    page.goto(f"{api.url}/console/")
    assert "/console/sign-in" in page.url  # no session: to the sign-in form
    page.get_by_label("Your token").fill(SECRETS[name])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{api.url}/console/")


def _lit(page: Page) -> list[str]:
    """The steps whose box (a node's first shape; the rows of its label come after) is
    filled as the current one on the page's flowchart."""
    found: list[str] = page.eval_on_selector_all(
        "#chart g.node",
        f"""nodes => nodes.filter(n => {{
              const box = n.querySelector(':scope > path, :scope > polygon');
              return n.id.startsWith('step.') && box && box.getAttribute('fill') === '{PATH_FILL}';
            }}).map(n => n.id.slice(5))""",
    )
    return found


def test_a_ticket_through_the_console(chromium: Browser, flows: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'escflow.db'}"
    with console_server(db, flows=[flows]) as api:
        for ticket, flow, attrs in (
            ("T-1", "complaint", {"customer": "<script>window.pwned = 1</script>"}),
            ("T-2", "helpdesk", {}),
            ("S-1", "shakwa", {}),
        ):
            opened = api.client.post(
                "/api/v1/tickets",
                json={"flow": flow, "id": ticket, "attrs": attrs},
                headers=api_auth("zendesk"),
            )
            assert opened.status_code == 201, opened.text
        shots = _shots(tmp_path)
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
        _sign_in(page, api, "zendesk")

        # The board: the ticket is in its cell and among the nearest to breach.
        row = page.locator('tr[data-ticket="T-1"]')
        assert row.count() == 1
        cell = page.locator('[data-cell="complaint/level-1"] .count')
        assert cell.inner_text() == "1"
        arabic = page.get_by_role("rowheader", name="شكوى من جودة المنتج")
        assert arabic.get_attribute("dir") == "rtl"
        assert arabic.get_attribute("lang") == "ar"
        page.screenshot(path=str(shots / "board-desktop.png"), full_page=True)

        row.get_by_role("link", name="T-1").click()
        page.wait_for_url(f"{api.url}/console/tickets/T-1")
        assert page.locator("[data-step]").get_attribute("data-step") == "level-1"
        assert _lit(page) == ["level-1"]
        assert page.evaluate("window.pwned") is None
        assert "<script>window.pwned = 1</script>" in page.locator("#attrs").inner_text()

        # Press a trigger, with a note.
        page.get_by_label("Note for the history (optional)").fill("wants a manager")
        page.locator('button[data-trigger="asks-for-manager"]').click()
        page.wait_for_selector('[data-step="level-2"]')
        assert _lit(page) == ["level-2"]
        newest = page.locator("#history li").first
        assert newest.get_attribute("data-kind") == "moved"
        assert "wants a manager" in newest.inner_text()
        assert "by zendesk" in newest.inner_text()
        page.screenshot(path=str(shots / "ticket-desktop.png"), full_page=True)

        # A trigger fired from the command line shows on the open page by itself.
        at = MONDAY_9_UTC.replace(minute=5).isoformat()
        done = escflow(
            "ticket",
            "fire",
            "T-1",
            "needs-specialist",
            "--db",
            db,
            "--flows",
            str(flows),
            "--at",
            at,
            "--actor",
            "cli-user",
        )
        assert done.returncode == 0, done.stderr
        fired = time.monotonic()
        page.wait_for_selector('[data-step="billing"]', timeout=5000)
        took = time.monotonic() - fired
        assert took < 1.0, f"the change took {took:.2f} s to show"
        assert _lit(page) == ["billing"]  # the functional team the trigger calls in
        assert "by cli-user" in page.locator("#history li").first.inner_text()
        assert "Updated" in page.locator("#live").inner_text()

        # A phone's width: one column, nothing wider than the screen.
        phone = page.context.new_page()  # the same session
        phone.set_viewport_size({"width": 390, "height": 844})
        for name, path in (("board", "/console/"), ("ticket", "/console/tickets/T-1")):
            phone.goto(f"{api.url}{path}")
            wide = phone.evaluate("document.documentElement.scrollWidth")
            assert wide <= 390, (name, wide)
            phone.screenshot(path=str(shots / f"{name}-phone.png"), full_page=True)
        phone.goto(f"{api.url}/console/tickets/S-1")
        buttons = phone.locator(".buttons", has=phone.locator('[data-trigger="hulla"]'))
        assert buttons.get_attribute("dir") == "rtl"
        phone.screenshot(path=str(shots / "ticket-arabic-phone.png"), full_page=True)
        context.close()
    assert not [m for m in refused if "Content Security Policy" in m], refused


def test_the_keyboard_reaches_every_button(chromium: Browser, tmp_path: Path) -> None:
    with console_server(f"sqlite:///{tmp_path / 'escflow.db'}") as api:
        api.client.post(
            "/api/v1/tickets", json={"flow": "complaint", "id": "T-1"}, headers=api_auth("zendesk")
        )
        page = chromium.new_page()
        _sign_in(page, api, "zendesk")
        page.goto(f"{api.url}/console/tickets/T-1")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
        reached = set()
        for _ in range(40):
            page.keyboard.press("Tab")
            reached.add(page.evaluate("document.activeElement.dataset.trigger || ''"))
        assert {"unable-to-solve", "asks-for-manager", "solved"} <= reached
        # Enter on a focused trigger button fires it.
        page.focus('button[data-trigger="asks-for-manager"]')
        page.keyboard.press("Enter")
        page.wait_for_selector('[data-step="level-2"]')
        assert page.locator("main").get_attribute("id") == "main"
        assert page.locator("#live").get_attribute("aria-live") == "polite"
        page.close()
