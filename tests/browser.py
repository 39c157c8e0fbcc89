"""A real browser for the tests: Debian's Chromium driven by Playwright, which
downloads no browser of its own."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from playwright.async_api import Browser, Page, async_playwright

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


async def open_page(browser: Browser, base_url: str, path: str) -> Tab:
    """A page in its own context (its own storage, like another person's browser)."""
    page = await (await browser.new_context()).new_page()
    tab = Tab(page)
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((base_url, base_url.replace("http", "ws", 1), "data:"))
            else tab.foreign_requests.append(request.url)
        ),
    )
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    page.on(
        "console",
        lambda message: tab.errors.append(message.text) if message.type == "error" else None,
    )
    await page.goto(f"{base_url}{path}")
    return tab
