"""The /demo chat page, built on the generated TypeScript client, in a real browser:
Debian's Chromium driven by Playwright (which downloads no browser of its own), two
users in two separate browser contexts, each seeing what the other does."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright, expect

from tests.live import live_server

# Debian's chromium package; the flags keep it from reaching for Google's hosts, which
# this machine's closed network refuses.
CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright's `expect` retries until this bound; it bounds a hang, it measures nothing.
PATIENCE_MS = 15_000


@dataclass
class Tab:
    page: Page
    foreign_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    assert CHROMIUM, "Chromium is needed: apt-get install chromium"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


async def open_demo(browser: Browser, base_url: str) -> Tab:
    """A page in its own context (its own storage, like another person's browser)."""
    page = await (await browser.new_context()).new_page()
    tab = Tab(page)
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((base_url, base_url.replace("http", "ws", 1)))
            else tab.foreign_requests.append(request.url)
        ),
    )
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    page.on(
        "console",
        lambda message: tab.errors.append(message.text) if message.type == "error" else None,
    )
    await page.goto(f"{base_url}/demo")
    return tab


async def sign_up(tab: Tab, username: str) -> None:
    page = tab.page
    await page.fill("#login [name=username]", username)
    await page.fill("#login [name=password]", f"{username}-password")
    await page.click("#login button[value=register]")
    await expect(page.locator("#me")).to_have_text(username, timeout=PATIENCE_MS)


async def test_two_users_see_each_others_messages_typing_and_read_receipts(
    tmp_path: Path,
) -> None:
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        alice, bob = await open_demo(browser, url), await open_demo(browser, url)
        await sign_up(alice, "alice")
        await sign_up(bob, "bob")

        await alice.page.fill("#start [name=title]", "Launch planning")
        await alice.page.fill("#start [name=usernames]", "bob")
        await alice.page.click("#start button")
        await expect(alice.page.locator("#title")).to_have_text("Launch planning")
        # Bob's list gains it by `conversation_created`; opening it joins the room.
        await bob.page.get_by_role("button", name="Launch planning").click(timeout=PATIENCE_MS)
        await expect(bob.page.locator("#title")).to_have_text("Launch planning")

        alice_compose = alice.page.locator("#compose [name=body]")
        await alice_compose.press_sequentially("See you at ten.")
        await expect(bob.page.locator("#typing")).to_have_text(
            "alice is typing…", timeout=PATIENCE_MS
        )
        await alice_compose.press("Enter")
        await expect(bob.page.locator("#messages .body")).to_have_text(
            ["See you at ten."], timeout=PATIENCE_MS
        )
        await expect(bob.page.locator("#typing")).to_have_text("")
        # Bob's page shows the message, so it marks it read: Alice sees the receipt.
        await expect(alice.page.locator("#receipt")).to_have_text(
            "Read by bob", timeout=PATIENCE_MS
        )

        await bob.page.locator("#compose [name=body]").fill("Ten it is.")
        await bob.page.locator("#compose [name=body]").press("Enter")
        await expect(alice.page.locator("#messages .body")).to_have_text(
            ["See you at ten.", "Ten it is."], timeout=PATIENCE_MS
        )
        await expect(bob.page.locator("#receipt")).to_have_text(
            "Read by alice", timeout=PATIENCE_MS
        )

    for tab in (alice, bob):
        assert tab.foreign_requests == []
        assert tab.errors == []


async def test_a_wrong_password_shows_the_services_reason(tmp_path: Path) -> None:
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        tab = await open_demo(browser, url)
        await tab.page.fill("#login [name=username]", "nobody")
        await tab.page.fill("#login [name=password]", "wrong-password")
        await tab.page.click("#login button[value=login]")

        await expect(tab.page.locator("#status")).to_have_text(
            "Wrong username or password.", timeout=PATIENCE_MS
        )
        await expect(tab.page.locator("#session")).to_be_hidden()
