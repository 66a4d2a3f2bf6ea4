"""Take the console's pictures for the README (`make screenshots`): a hub on loopback with a
little order-to-cash traffic, one failing receiver, and Debian's Chromium.

Usage: python -m tests.console.screenshots <directory>
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright

from hub.config import PROJECT_ROOT
from tests.console.conftest import chromium_path
from tests.helpers import (
    ADMIN_TOKEN,
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
)

SHOTS = {
    "console-overview.png": "/console/",
    "console-object.png": "/console/objects/order/1042",
    "console-deliveries.png": "/console/deliveries?status=failed",
    "console-search.png": "/console/search?q=1042",
    "console-issues.png": "/console/issues",
}


async def take(directory: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        async with Receiver() as erp, Receiver(consent="*") as wms:
            erp.respond(*[Reply(503, b'{"error": "inventory database is down"}')] * 3)
            entries = [
                {"id": "erp-orders", "url": erp.url(), "secret": SUBSCRIBER_SECRET,
                 "events": ["order.created"], "retry": {"schedule": [0]}},
                {"id": "warehouse", "url": wms.url(), "secret": SUBSCRIBER_SECRET,
                 "events": ["order.*"]},
            ]  # fmt: skip
            (work / "subscriptions.yaml").write_text(subscriptions_yaml(entries))
            settings = hub_settings(work, rules=str(PROJECT_ROOT / "rules.yaml"))
            async with running_hub(settings) as hub:
                for n, order in enumerate(["1040", "1041", "1042"]):
                    await hub.send("order.created", order_data(order), f"msg_{n}")
                await hub.send("order.shipped", order_data("1042", carrier="UPS"), "msg_s")
                await hub.hub.worker.wait_recorded(6)
                partner = {"name": "north-3pl", "types": ["order.*"], "companies": ["*"]}
                await hub.post("/api/partners", partner)
                made = await hub.post("/api/tokens", {"name": "acme-flow", "partner": "north-3pl"})
                flow = {"url": wms.url("3pl"), "events": ["order.shipped"],
                        "description": "Acme 3PL shipments"}  # fmt: skip
                mine = await hub.client.post("/api/subscriptions", json=flow, headers={
                    "authorization": f"Bearer {made.json()['token']}"})  # fmt: skip
                await hub.send("order.shipped", order_data("1041", carrier="DHL"), "msg_s2")
                for _ in range(100):  # until the partner's delivery is in (a picture, not a test)
                    done = await hub.get("/api/deliveries", subscription=mine.json()["id"],
                                         status="succeeded")  # fmt: skip
                    if done["items"]:
                        break
                    await asyncio.sleep(0.05)
                link = await hub.post("/api/partners/north-3pl/portal-links", {
                    "capabilities": ["replay"]})  # fmt: skip
                await shoot(hub.served.url, directory, link.json()["url"])


async def shoot(base: str, directory: Path, link: str = "") -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(f"{base}/console/")
        await page.get_by_label("Token").fill(ADMIN_TOKEN)
        await page.get_by_role("button", name="Sign in").click()
        for name, path in SHOTS.items():
            await page.goto(base + path)
            await page.screenshot(path=str(directory / name), full_page=False)
            print(f"wrote {directory / name}")
        # A failed delivery's own page: the receiver's answer to each attempt.
        await page.goto(f"{base}/console/deliveries?status=failed")
        table = page.get_by_role("table", name="Deliveries, newest first")
        await table.get_by_role("row").nth(1).get_by_role("link").first.click()
        await page.screenshot(path=str(directory / "console-delivery.png"), full_page=False)
        print(f"wrote {directory / 'console-delivery.png'}")
        if link:  # a partner's view, opened from its portal link in a browser of its own
            partner = await browser.new_context(viewport={"width": 1280, "height": 900})
            view = await partner.new_page()
            await view.goto(link)
            await view.get_by_role("button", name="Continue as north-3pl").click()
            await view.goto(f"{base}/console/deliveries")
            await view.screenshot(path=str(directory / "console-partner.png"), full_page=False)
            print(f"wrote {directory / 'console-partner.png'}")
        await browser.close()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(take(target))
