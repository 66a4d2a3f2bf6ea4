"""Onboarding a partner in three commands, as the README's Partners section shows them, and a
partners file that `hub check` refuses with the line at fault."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.test_cli import run_check, run_cli
from tests.helpers import hub_settings, order_data, running_hub


async def test_a_partner_is_onboarded_in_three_commands(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        url = hub.served.url
        added = await run_cli(url, "partners", "add", "acme-3pl", "--types", "order.*",
                              "--companies", "USMF")  # fmt: skip
        made = await run_cli(url, "tokens", "create", "acme-flow", "--partner", "acme-3pl",
                             "--expires", "90d")  # fmt: skip
        link = await run_cli(url, "partners", "link", "acme-3pl", "--capabilities", "replay")
        for code, out, err in (added, made, link):
            assert code == 0, out + err
        token = re.search(r"hubt_\S+", made[1])
        assert token is not None and "for acme-3pl, until 20" in made[1]
        assert re.search(r"/console/portal/hubp_\S+", link[1]) and "replay, view" in link[1]
        await hub.send("order.created", order_data("A-1", company="USMF"), "a1")
        await hub.send("order.created", order_data("B-1", company="DEMF"), "b1")
        flow = {"authorization": f"Bearer {token.group()}"}
        seen = await hub.client.get("/api/events", headers=flow)
        assert [e["data"]["order_id"] for e in seen.json()["items"]] == ["A-1"]
        listed = await run_cli(url, "partners", "list")
        assert "acme-3pl" in listed[1] and "order.*" in listed[1] and "USMF" in listed[1]
        tokens = await run_cli(url, "tokens", "list")
        assert "acme-flow" in tokens[1] and "hubt_" not in tokens[1]  # never a token's value
        suspended = await run_cli(url, "partners", "suspend", "acme-3pl")
        assert suspended[0] == 0 and "suspended" in suspended[1]
        refused = await hub.client.get("/api/events", headers=flow)
        assert refused.status_code == 401


def test_check_refuses_a_bad_partners_file_naming_the_line(tmp_path: Path) -> None:
    partners = tmp_path / "partners.yaml"
    partners.write_text("partners:\n  - name: acme\n    types: ['order.*']\n"
                        "    companies: []\n")  # fmt: skip
    done = run_check(tmp_path, HUB_PARTNERS=str(partners))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{partners}:4: partner 'acme': companies: a list of 1 to 50" in done.stderr
    missing = run_check(tmp_path, HUB_PARTNERS=str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "HUB_PARTNERS:" in missing.stderr
    partners.write_text("partners:\n  - {name: acme, types: ['order.*'], companies: [USMF]}\n")
    assert run_check(tmp_path, HUB_PARTNERS=str(partners)).returncode == 0
