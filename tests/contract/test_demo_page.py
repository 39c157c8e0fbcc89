"""The /demo chat page, built on the generated TypeScript client, in a real browser:
Debian's Chromium driven by Playwright (which downloads no browser of its own), two
users in two separate browser contexts, each seeing what the other does."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser import PATIENCE_MS, Tab, chromium, open_page
from tests.live import live_server
from tests.network import link


async def sign_in(tab: Tab, username: str, action: str = "login") -> None:
    page = tab.page
    await page.fill("#login [name=username]", username)
    await page.fill("#login [name=password]", f"{username}-password")
    await page.click(f"#login button[value={action}]")
    await expect(page.locator("#me")).to_have_text(username, timeout=PATIENCE_MS)


async def sign_up(tab: Tab, username: str) -> None:
    await sign_in(tab, username, "register")


async def launch_planning(browser: Browser, url: str) -> tuple[Tab, Tab]:
    """Alice and Bob signed up in their own browsers, in Alice's new group, both in it."""
    alice, bob = await open_page(browser, url, "/demo"), await open_page(browser, url, "/demo")
    await sign_up(alice, "alice")
    await sign_up(bob, "bob")
    await alice.page.fill("#start [name=title]", "Launch planning")
    await alice.page.fill("#start [name=usernames]", "bob")
    await alice.page.click("#start button")
    await expect(alice.page.locator("#title")).to_have_text("Launch planning")
    # Bob's list gains it by `conversation_created`; opening it joins the room.
    await bob.page.get_by_role("button", name="Launch planning").click(timeout=PATIENCE_MS)
    await expect(bob.page.locator("#title")).to_have_text("Launch planning")
    return alice, bob


async def test_two_users_see_each_others_messages_typing_and_read_receipts(
    tmp_path: Path,
) -> None:
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        alice, bob = await launch_planning(browser, url)

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


async def test_the_author_edits_the_owner_deletes_anyone_pins_and_both_see_it_at_once(
    tmp_path: Path,
) -> None:
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        alice, bob = await launch_planning(browser, url)

        bob_compose = bob.page.locator("#compose [name=body]")
        for text in ("See you at ten.", "Bring the slides."):
            await bob_compose.fill(text)
            await bob_compose.press("Enter")
        alice_messages = alice.page.locator("#messages li")
        await expect(alice.page.locator("#messages .body")).to_have_text(
            ["See you at ten.", "Bring the slides."], timeout=PATIENCE_MS
        )
        # Only the author may edit; the owner may delete anyone's message.
        await expect(alice_messages.first.get_by_role("button", name="Edit")).to_have_count(0)

        first = bob.page.locator("#messages li").first
        await first.get_by_role("button", name="Edit").click()
        await expect(bob_compose).to_have_value("See you at ten.")
        await bob_compose.fill("See you at half past ten.")
        await bob_compose.press("Enter")
        await expect(alice_messages.first.locator(".body")).to_have_text(
            "See you at half past ten.", timeout=PATIENCE_MS
        )
        await expect(alice_messages.first.locator(".edited")).to_have_text(" (edited)")
        await alice_messages.first.locator(".edited").click()  # the edit history
        await expect(alice.page.locator("#status")).to_have_text(
            "History: See you at ten. → See you at half past ten.", timeout=PATIENCE_MS
        )

        # Anyone pins; both see the pinned bar, which follows the message's deletion.
        await alice_messages.nth(1).get_by_role("button", name="Pin").click()
        await alice_messages.first.get_by_role("button", name="Pin").click()
        for tab in (alice, bob):
            await expect(tab.page.locator("#pins .body")).to_have_text(
                ["See you at half past ten.", "Bring the slides."], timeout=PATIENCE_MS
            )

        await alice_messages.nth(1).get_by_role("button", name="Delete").click()
        for tab in (alice, bob):
            await expect(tab.page.locator("#messages .body")).to_have_text(
                ["See you at half past ten.", "Message deleted"], timeout=PATIENCE_MS
            )
            await expect(tab.page.locator("#pins .body")).to_have_text(
                ["See you at half past ten.", "Message deleted"], timeout=PATIENCE_MS
            )
        await expect(bob.page.locator("#messages li.deleted button")).to_have_count(0)

        await bob.page.locator("#pins li").first.get_by_role("button", name="Unpin").click()
        await expect(alice.page.locator("#pins .body")).to_have_text(
            ["Message deleted"], timeout=PATIENCE_MS
        )

    for tab in (alice, bob):
        assert tab.foreign_requests == []
        assert tab.errors == []


async def test_a_reply_quotes_what_it_answers_and_a_mention_badges_the_mentioned(
    tmp_path: Path,
) -> None:
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        alice, bob = await launch_planning(browser, url)
        alice_compose = alice.page.locator("#compose [name=body]")
        await alice_compose.fill("See you at ten.")
        await alice_compose.press("Enter")
        # Alice moves to another conversation: the mention must find her there.
        await alice.page.fill("#start [name=title]", "Side chat")
        await alice.page.fill("#start [name=usernames]", "bob")
        await alice.page.click("#start button")
        await expect(alice.page.locator("#title")).to_have_text("Side chat")

        bob_messages = bob.page.locator("#messages li")
        await expect(bob_messages.locator(".body")).to_have_text(
            ["See you at ten."], timeout=PATIENCE_MS
        )
        await bob_messages.first.get_by_role("button", name="Reply").click()
        bob_compose = bob.page.locator("#compose [name=body]")
        await bob_compose.fill("@alice ten works for me")
        await bob_compose.press("Enter")
        await expect(bob.page.locator("#messages .quote")).to_have_text(
            ["alice: See you at ten."], timeout=PATIENCE_MS
        )

        planning = alice.page.locator("#conversations button", has_text="Launch planning")
        await expect(planning.locator(".mention-badge")).to_have_text(" @1", timeout=PATIENCE_MS)
        await planning.click()
        reply = alice.page.locator("#messages li.mentions-me")
        await expect(reply.locator(".quote")).to_have_text(
            "alice: See you at ten.", timeout=PATIENCE_MS
        )
        await expect(reply.locator(".body")).to_have_text("@alice ten works for me")
        # Opening it read it: the service's count clears the badge.
        await expect(planning.locator(".mention-badge")).to_have_count(0, timeout=PATIENCE_MS)

        # The quote follows what it quotes, on the other user's page too.
        alice_first = alice.page.locator("#messages li").first
        await alice_first.get_by_role("button", name="Edit").click()
        await alice_compose.fill("See you at half past ten.")
        await alice_compose.press("Enter")
        await expect(bob.page.locator("#messages .quote")).to_have_text(
            ["alice: See you at half past ten."], timeout=PATIENCE_MS
        )
        await alice_first.get_by_role("button", name="Delete").click()
        await expect(bob.page.locator("#messages .quote")).to_have_text(
            ["Message deleted"], timeout=PATIENCE_MS
        )

    for tab in (alice, bob):
        assert tab.foreign_requests == []
        assert tab.errors == []


async def test_reactions_toggle_and_both_users_see_counts_and_their_own(tmp_path: Path) -> None:
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        alice, bob = await launch_planning(browser, url)
        bob_compose = bob.page.locator("#compose [name=body]")
        await bob_compose.fill("Launch at ten?")
        await bob_compose.press("Enter")
        alice_message = alice.page.locator("#messages li").first
        await expect(alice_message.locator(".body")).to_have_text(
            "Launch at ten?", timeout=PATIENCE_MS
        )

        await alice_message.get_by_role("button", name="React 👍").click()
        bob_reaction = bob.page.locator("#messages li .reaction")
        await expect(bob_reaction).to_have_text(["👍 1"], timeout=PATIENCE_MS)
        await expect(bob_reaction).to_have_attribute("aria-pressed", "false")

        await bob_reaction.click()  # Bob joins Alice's reaction
        alice_reaction = alice_message.locator(".reaction")
        for reaction in (alice_reaction, bob_reaction):
            await expect(reaction).to_have_text(["👍 2"], timeout=PATIENCE_MS)
            await expect(reaction).to_have_attribute("aria-pressed", "true")

        await alice_reaction.click()  # pressed: Alice takes hers back
        await expect(bob_reaction).to_have_text(["👍 1"], timeout=PATIENCE_MS)
        await expect(bob_reaction).to_have_attribute("aria-pressed", "true")
        await expect(alice_reaction).to_have_attribute("aria-pressed", "false")

        # Reopening fetches the reactions over HTTP: the same as the events left them.
        await bob.page.reload()
        await sign_in(bob, "bob")
        await bob.page.get_by_role("button", name="Launch planning").click(timeout=PATIENCE_MS)
        await expect(bob.page.locator("#messages li .reaction")).to_have_text(
            ["👍 1"], timeout=PATIENCE_MS
        )
        await expect(bob.page.locator("#messages li .reaction")).to_have_attribute(
            "aria-pressed", "true"
        )

    for tab in (alice, bob):
        assert tab.foreign_requests == []
        assert tab.errors == []


async def test_a_wrong_password_shows_the_services_reason(tmp_path: Path) -> None:
    async with live_server(tmp_path / "chat.db") as url, chromium() as browser:
        tab = await open_page(browser, url, "/demo")
        await tab.page.fill("#login [name=username]", "nobody")
        await tab.page.fill("#login [name=password]", "wrong-password")
        await tab.page.click("#login button[value=login]")

        await expect(tab.page.locator("#status")).to_have_text(
            "Wrong username or password.", timeout=PATIENCE_MS
        )
        await expect(tab.page.locator("#session")).to_be_hidden()


async def test_the_page_survives_going_offline_and_back_without_losing_or_repeating(
    tmp_path: Path,
) -> None:
    # Alice's browser reaches the service through a link the test takes down: her
    # socket drops (a reset, as when a laptop leaves the Wi-Fi), Bob writes meanwhile,
    # and when the link is back her page resumes and shows what she missed, once.
    async with (
        live_server(tmp_path / "chat.db") as url,
        link(url) as network,
        chromium() as browser,
    ):
        alice = await open_page(browser, network.url, "/demo")
        bob = await open_page(browser, url, "/demo")
        await sign_up(alice, "alice")
        await sign_up(bob, "bob")
        await bob.page.fill("#start [name=title]", "Launch planning")
        await bob.page.fill("#start [name=usernames]", "alice")
        await bob.page.click("#start button")
        await alice.page.get_by_role("button", name="Launch planning").click(timeout=PATIENCE_MS)
        await expect(alice.page.locator("#title")).to_have_text("Launch planning")

        bob_compose = bob.page.locator("#compose [name=body]")
        await bob_compose.fill("Before.")
        await bob_compose.press("Enter")
        shown = alice.page.locator("#messages .body")
        await expect(shown).to_have_text(["Before."], timeout=PATIENCE_MS)

        network.offline()
        await expect(alice.page.locator("#status")).to_have_text(
            "Offline: reconnecting…", timeout=PATIENCE_MS
        )
        for text in ("While you were away.", "Still away."):
            await bob_compose.fill(text)
            await bob_compose.press("Enter")
        await expect(bob.page.locator("#messages .body")).to_have_count(3, timeout=PATIENCE_MS)
        network.online()

        await expect(alice.page.locator("#status")).to_have_text(
            re.compile(r"Back online: \d+ missed events\."), timeout=PATIENCE_MS
        )
        # Two messages and their two activities; one more when the first message's
        # activity was still on its way as the link went.
        replayed = int((await alice.page.locator("#status").inner_text()).split()[2])
        assert replayed in (4, 5)
        expected = ["Before.", "While you were away.", "Still away."]
        await expect(shown).to_have_text(expected, timeout=PATIENCE_MS)
        ids = await alice.page.locator("#messages li").evaluate_all(
            "items => items.map(item => item.dataset.messageId)"
        )
        assert len(ids) == len(set(ids)) == 3
        # And live again: the next message arrives without a reload.
        await bob_compose.fill("Welcome back.")
        await bob_compose.press("Enter")
        await expect(shown).to_have_text([*expected, "Welcome back."], timeout=PATIENCE_MS)

    assert alice.foreign_requests == []
    assert bob.errors == []
