"""The contract's docs as a reader opens them: `/`, then /docs and /docs/events in
Debian's Chromium. Operations, events, examples and the handshake must render, and no
request may leave the host (the pages are built by `make docs`, script inlined)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from service.http.pages import DOCS
from tests.browser import PATIENCE_MS, chromium, open_page
from tests.live import live_server
from tests.schemas import load


@pytest.fixture(autouse=True)
def _docs_are_built() -> None:
    missing = [name for name in ("openapi.html", "asyncapi.html") if not (DOCS / name).is_file()]
    assert not missing, f"{missing} not built: run `make docs` (make test does)"


async def test_the_index_links_both_docs_and_the_http_docs_render_offline(tmp_path: Path) -> None:
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        tab = await open_page(browser, url, "/")
        page = tab.page
        await page.get_by_role("link", name="HTTP API").click()
        await expect(page).to_have_url(f"{url}/docs")
        await expect(
            page.get_by_text("The HTTP half of the conversations contract").first
        ).to_be_visible(timeout=PATIENCE_MS)
        # Redoc routes in the fragment: a tag's page holds its operations and examples.
        await page.get_by_role("link", name="messages", exact=True).click()
        for text in ("List messages", "Mark messages read"):
            await expect(page.get_by_text(text).first).to_be_visible(timeout=PATIENCE_MS)
        # Redoc renders a long tag page as it scrolls: the sidebar leads to each operation.
        await page.get_by_role("link", name="Mark messages read").first.click()
        await expect(page.get_by_text("/conversations/{conversation_id}/read").first).to_be_visible(
            timeout=PATIENCE_MS
        )
        # An operation's page: its request example and its declared problems.
        await page.get_by_role("link", name="Send a message").click()
        await expect(page.get_by_text("See you at ten.").first).to_be_visible(timeout=PATIENCE_MS)
        await expect(page.get_by_text("bearerAuth").first).to_be_attached()
        await expect(page.get_by_text("422", exact=True).first).to_be_attached()

    assert tab.foreign_requests == []
    assert tab.errors == []


async def test_the_socket_io_docs_render_events_acknowledgements_and_the_handshake(
    tmp_path: Path,
) -> None:
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        tab = await open_page(browser, url, "/")
        page = tab.page
        await page.get_by_role("link", name="Socket.IO events").click()
        await expect(page).to_have_url(f"{url}/docs/events")
        # The handshake: auth.token, or the Authorization header.
        await expect(page.get_by_text("Authorization: Bearer").first).to_be_visible(
            timeout=PATIENCE_MS
        )
        await page.get_by_role("link", name="Default namespace").click()
        await page.get_by_role("link", name="Join a conversation's room").click()
        # Its acknowledgement is a link to the reply message's payload and example.
        join = page.locator('[id="channels/namespace/operations/joinconversation"]')
        await join.get_by_role("link", name="Room acknowledgement").click()
        await expect(
            page.get_by_text("The conversation whose room was joined").first
        ).to_be_visible(timeout=PATIENCE_MS)
        await expect(page.get_by_text("Connection refused").first).to_be_attached()
        await page.get_by_role("link", name="A conversation's room channel").click()
        await expect(page.get_by_text("Deliver a new message").first).to_be_visible(
            timeout=PATIENCE_MS
        )
        await expect(page.get_by_text('"body": "See you at ten."').first).to_be_attached()

    assert tab.foreign_requests == []
    assert tab.errors == []


async def test_the_socket_io_docs_list_every_event_by_its_name(tmp_path: Path) -> None:
    spec = load("asyncapi.yaml")
    names = {
        message["name"] for message in spec["components"]["messages"].values() if "name" in message
    }
    channels = [channel["title"] for channel in spec["channels"].values()]
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        tab = await open_page(browser, url, "/docs/events")
        page = tab.page
        shown = ""
        for title in channels:  # each channel's operations are listed under it, opened
            link = page.get_by_role("link", name=title).first
            await expect(link).to_be_visible(timeout=PATIENCE_MS)
            await link.click()
            shown += await page.locator("body").inner_text()

    assert len(names) >= 16
    assert sorted(n for n in names if f"{n}:" not in shown) == []
    assert tab.errors == []


async def test_every_acknowledgement_links_to_its_reply_payload(tmp_path: Path) -> None:
    spec = load("asyncapi.yaml")
    replies = {
        (operation["channel"]["$ref"].rsplit("/", 1)[1], key): [
            ref["$ref"].rsplit("/", 1)[1] for ref in operation["reply"]["messages"]
        ]
        for key, operation in spec["operations"].items()
        if "reply" in operation
    }
    missing = []
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        tab = await open_page(browser, url, "/docs/events")
        page = tab.page
        for (channel, key), messages in replies.items():
            operation = f"channels/{channel.lower()}/operations/{key.lower()}"
            await page.goto(f"{url}/docs/events#/{operation}")
            section = page.locator(f'[id="{operation}"]')
            await expect(section).to_be_attached(timeout=PATIENCE_MS)
            for message in messages:
                route = f"#/channels/{channel.lower()}#channels/{channel.lower()}/messages"
                link = section.locator(f'a[href="{route}&m={message.lower()}"]')
                if await link.count() != 1:
                    missing.append(f"{key} -> {message}")

    assert len(replies) >= 5
    assert missing == []
    assert tab.errors == []


async def test_docs_that_are_not_built_are_a_problem_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    monkeypatch.setattr("service.http.pages.DOCS", tmp_path / "nowhere")
    async with live_server(tmp_path / "chat.db") as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/docs/events")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "make docs" in response.json()["detail"]


async def test_docs_travel_compressed_and_revalidate_with_an_etag(tmp_path: Path) -> None:
    import httpx

    async with live_server(tmp_path / "chat.db") as url, httpx.AsyncClient(base_url=url) as http:
        for path, name in (("/docs", "openapi.html"), ("/docs/events", "asyncapi.html")):
            first = await http.get(path, headers={"Accept-Encoding": "gzip"})
            again = await http.get(path, headers={"If-None-Match": first.headers["etag"]})
            plain = await http.get(path, headers={"Accept-Encoding": "identity"})

            size = (DOCS / name).stat().st_size
            assert first.status_code == 200
            assert first.headers["content-encoding"] == "gzip"
            assert first.num_bytes_downloaded < size / 3, (first.num_bytes_downloaded, size)
            assert first.content == (DOCS / name).read_bytes()
            assert first.headers["cache-control"] == "no-cache"
            assert again.status_code == 304
            assert again.content == b""
            assert "content-encoding" not in plain.headers
            assert plain.content == first.content
