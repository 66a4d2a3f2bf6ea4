"""The operator's journey through the console, in a real Chromium, found by role and label.

An order's delivery fails at the ERP; the admin signs in, searches the order number, reads the
receiver's answer, fixes the receiver, and bulk-replays from the Deliveries page.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from hub.config import PROJECT_ROOT
from tests.helpers import (
    ADMIN_TOKEN,
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
    verify_outbound,
)

OUTAGE = b'{"error": "inventory database is down"}'


def subscribe(tmp_path: Path, url: str) -> None:
    entry = {
        "id": "erp-orders",
        "url": url,
        "secret": SUBSCRIBER_SECRET,
        "events": ["order.created"],
        "retry": {"schedule": [0]},  # one attempt: the delivery fails at once
    }
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([entry]))


async def sign_in(page: Page, base: str, token: str) -> None:
    await page.goto(f"{base}/console/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("Token").fill(token)
    await page.get_by_role("button", name="Sign in").click()


async def test_find_fix_and_bulk_replay_a_failing_order(tmp_path: Path, browser: Browser) -> None:
    async with Receiver() as receiver:
        receiver.respond(*[Reply(503, OUTAGE)] * 2)
        subscribe(tmp_path, receiver.url())
        settings = hub_settings(tmp_path, rules=str(PROJECT_ROOT / "rules.yaml"))
        async with running_hub(settings) as hub:
            for n, order in enumerate(["1042", "1043"]):
                sent = await hub.send("order.created", order_data(order), f"msg_{n}")
                assert sent.status_code == 202, sent.text
            await hub.hub.worker.wait_recorded(2)
            base = hub.served.url
            page = await browser.new_page()

            # 1. Sign in.
            await sign_in(page, base, ADMIN_TOKEN)
            await expect(page.get_by_role("heading", name="Overview")).to_be_visible()

            # 2. Search the order number and open its failing delivery.
            await page.get_by_role("searchbox", name="Search").fill("1042")
            await page.get_by_role("button", name="Find").click()
            await page.get_by_role("link", name=re.compile(r"order 1042", re.I)).first.click()
            await expect(page.get_by_role("heading", name="Order 1042")).to_be_visible()
            failing = page.get_by_role("row").filter(has_text="failed")
            await expect(failing).to_have_count(1)
            await failing.get_by_role("link").first.click()

            # 3. See the receiver's answer.
            await expect(page.get_by_role("heading", name=re.compile("^Delivery"))).to_be_visible()
            answer = page.get_by_label("Receiver's answer to attempt 1")
            await expect(answer).to_contain_text("inventory database is down")
            await expect(page.get_by_text("503", exact=True)).to_be_visible()
            sent = page.get_by_role("table", name=re.compile("Request headers sent in attempt 1"))
            await expect(sent.get_by_role("row", name=re.compile("webhook-id"))).to_contain_text(
                "evt_"
            )

            # 4. Fix the receiver: from now on it answers 200.
            receiver.script.clear()

            # 5. Bulk-replay everything failed, from the Deliveries page.
            await (
                page.get_by_role("navigation", name="Console")
                .get_by_role("link", name="Deliveries")
                .click()
            )
            await page.get_by_label("Status").select_option("failed")
            await page.get_by_role("button", name="Filter").click()
            await expect(page).to_have_url(re.compile(r"status=failed"))
            await page.get_by_role("button", name="Replay all matching…").click()
            await expect(page.get_by_role("heading", name="Replay 2 deliveries?")).to_be_visible()
            await expect(page.get_by_role("status")).to_contain_text("2 deliveries match")
            await page.get_by_role("button", name="Confirm: replay 2 deliveries").click()
            await expect(page.get_by_role("status")).to_contain_text("Replayed 2 deliveries")

            # 6. See them succeed: at the receiver, and on the page.
            for _ in range(2):
                verify_outbound(await receiver.next())
            await hub.hub.worker.wait_recorded(4)
            await page.get_by_label("Status").select_option("succeeded")
            await page.get_by_role("button", name="Filter").click()
            table = page.get_by_role("table", name="Deliveries, newest first")
            await expect(table.get_by_role("row").filter(has_text="succeeded")).to_have_count(2)
            await page.get_by_label("Status").select_option("failed")
            await page.get_by_role("button", name="Filter").click()
            await expect(page.get_by_role("cell", name="No deliveries.")).to_be_visible()

            # 7. From a delivery, the order's journey across systems.
            await page.get_by_label("Status").select_option("succeeded")
            await page.get_by_role("button", name="Filter").click()
            await (
                table.get_by_role("row")
                .filter(has_text="order/1042")
                .get_by_role("link")
                .first.click()
            )
            await page.get_by_role("link", name="order 1042").click()
            await expect(page.get_by_role("heading", name="Order 1042")).to_be_visible()
            await expect(page.get_by_role("heading", name="Journey")).to_be_visible()


async def test_everything_works_from_the_keyboard(tmp_path: Path, browser: Browser) -> None:
    """Sign in, search and reach a result with the keyboard alone."""
    subscribe(tmp_path, "http://127.0.0.1:9/hook")
    settings = hub_settings(tmp_path, rules=str(PROJECT_ROOT / "rules.yaml"))
    async with running_hub(settings) as hub:
        sent = await hub.send("order.created", order_data("1042"), "msg_k")
        [event_id] = sent.json()["event_ids"]
        page = await browser.new_page()
        await page.goto(f"{hub.served.url}/console/")
        await expect(page.get_by_label("Token")).to_be_focused()  # autofocus: type at once
        await page.keyboard.type(ADMIN_TOKEN)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        await page.get_by_role("searchbox", name="Search").focus()
        await page.keyboard.type("1042")
        await page.keyboard.press("Enter")
        result = page.get_by_role("link", name=re.compile(r"order 1042", re.I)).first
        await result.focus()
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Order 1042")).to_be_visible()
        # One hit opens its page at once.
        await page.get_by_role("searchbox", name="Search").fill(event_id)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name=f"Event {event_id}")).to_be_visible()


async def test_every_control_is_named_and_every_form_carries_csrf(
    tmp_path: Path, browser: Browser
) -> None:
    """No control on any main page lacks a name a screen reader reads, no form its CSRF token."""
    subscribe(tmp_path, "http://127.0.0.1:9/hook")
    settings = hub_settings(tmp_path, rules=str(PROJECT_ROOT / "rules.yaml"))
    async with running_hub(settings) as hub:
        await hub.send("order.created", order_data("1042"), "msg_a")
        await hub.hub.worker.wait_recorded(1)
        page = await browser.new_page()
        await sign_in(page, hub.served.url, ADMIN_TOKEN)
        unnamed: dict[str, list[str]] = {}
        for path in PAGES:
            await page.goto(hub.served.url + path)
            assert await page.locator("h1").count() == 1, path
            found = await page.evaluate(UNNAMED_CONTROLS)
            if found:
                unnamed[path] = found
            tokens = await page.locator("form[method=post] input[name=csrf]").evaluate_all(
                "(inputs) => inputs.map((i) => i.value)"
            )
            forms = await page.locator("form[method=post]").count()
            assert len(tokens) == forms and all(tokens), path  # every form carries its token
        assert unnamed == {}


PAGES = [
    "/console/",
    "/console/search?q=1042",
    "/console/events",
    "/console/deliveries",
    "/console/subscriptions",
    "/console/subscriptions/erp-orders",
    "/console/rejections",
    "/console/receipts",
    "/console/catalog",
    "/console/catalog/order.created",
    "/console/objects",
    "/console/objects/order/1042",
    "/console/issues",
    "/console/audit",
]

# Chromium computes no accessible name in page script, so this follows the rules that matter
# here: a label (for= or wrapping), aria-label(ledby), or a button's or link's own text.
UNNAMED_CONTROLS = """() => {
  const named = (el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return true;
    if (el.labels && el.labels.length) return true;
    if (['A', 'BUTTON'].includes(el.tagName) && el.textContent.trim()) return true;
    return false;
  };
  const controls = 'input:not([type=hidden]), select, textarea, button, a[href]';
  return [...document.querySelectorAll(controls)]
    .filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 120));
}"""


async def test_a_partner_opens_its_portal_link_and_sees_only_its_own(
    tmp_path: Path, browser: Browser
) -> None:
    """A 3PL's person opens the link an admin sent, presses Continue, and finds its order but
    not another company's; the link does not open twice."""
    settings = hub_settings(tmp_path, rules=str(PROJECT_ROOT / "rules.yaml"))
    async with running_hub(settings) as hub:
        partner = {"name": "north-3pl", "types": ["order.*"], "companies": ["USMF"]}
        assert (await hub.post("/api/partners", partner)).status_code == 201
        for order, company in (("N-1", "USMF"), ("S-1", "DEMF")):
            await hub.send("order.created", order_data(order, company=company), order)
        await hub.hub.tracker.caught_up()
        link = (await hub.post("/api/partners/north-3pl/portal-links", {})).json()["url"]
        page = await browser.new_page()
        await page.goto(link)
        await page.get_by_role("button", name="Continue as north-3pl").click()
        await expect(page.get_by_text("Signed in as")).to_contain_text("north-3pl")
        nav = page.get_by_role("navigation", name="Console")
        await expect(nav.get_by_role("link", name="Audit")).to_have_count(0)
        await page.get_by_label("Search").fill("N-1")
        await page.get_by_role("button", name="Find").click()
        await expect(page.get_by_role("link", name=re.compile("order N-1"))).to_be_visible()
        await page.get_by_label("Search").fill("S-1")
        await page.get_by_role("button", name="Find").click()
        await expect(page.get_by_text("Nothing found")).to_be_visible()
        other = await browser.new_page()
        await other.goto(link)
        await expect(other.get_by_role("alert")).to_contain_text("not valid")
