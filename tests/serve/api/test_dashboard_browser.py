"""The dashboard in a real browser (Playwright driving Debian's chromium, no browser download)
against `packlife serve --virtual` and `packlife serve api` as separate processes on loopback.

Needs /usr/bin/chromium (`apt-get install chromium`; `.ci/run` installs it)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2 as httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (dev extra)")

from packlife.serve.access import AccessStore  # noqa: E402
from packlife.serve.store import TelemetryStore  # noqa: E402

#: Launch arguments for chromium in a container (research note live_ems.md §3).
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KW = re.compile(r"^-?\d+\.\d kW$")


@dataclass
class Site:
    """A running virtual site with its API, and a key per role."""

    base: str
    loop: subprocess.Popen[bytes]
    api: subprocess.Popen[bytes]
    keys: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _packlife(*args: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "packlife.cli.main", *args],
                            stdout=subprocess.DEVNULL, stderr=log.open("w"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One site for the module; the stale-banner test stops its loop, so it runs last."""
    tmp_path = tmp_path_factory.mktemp("site")
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    access = AccessStore(TelemetryStore(url))
    keys = {r: access.add_user(r, r) for r in ("viewer", "operator")}
    port = _free_port()
    loop = _packlife("serve", "--virtual", "jlr-test-site", "--time-scale", "300", "--period",
                     "0.25", "--db", url, "--api", "off", log=tmp_path / "loop.err")
    api = _packlife("serve", "api", "--db", url, "--bind", f"127.0.0.1:{port}",
                    log=tmp_path / "api.err")
    base = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    ready = False
    while time.monotonic() - t0 < 120 and not ready:
        try:
            h = httpx.get(base + "/health", timeout=2).json()
            ready = h["run_id"] is not None and not h["stale"]
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    if not ready:
        for p in (loop, api):
            p.kill()
        pytest.fail("site did not start: " + (tmp_path / "loop.err").read_text()[-2000:]
                    + (tmp_path / "api.err").read_text()[-2000:])
    yield Site(base, loop, api, keys)
    for p in (loop, api):
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for p in (loop, api):
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    pw = sync_api.sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS,
                           env={**os.environ, "TZ": "America/Chicago"})  # not the site's zone
    try:
        yield b
    finally:
        b.close()
        pw.stop()


def _login(browser: Any, site: Site, role: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(site.base + "/")
    page.fill("#key", site.keys[role])
    page.click("#login-form button")
    sync_api.expect(page.get_by_test_id("bess-power")).to_have_text(KW, timeout=20_000)
    return page


def test_operator_sees_live_values_and_isolates_a_pack(browser: Any, site: Site,
                                                      tmp_path: Path) -> None:
    page = _login(browser, site, "operator")
    sync_api.expect(page.locator("#site-name")).to_have_text("jlr-test-site")
    sync_api.expect(page.locator("#packs tbody tr")).to_have_count(7)
    first_cycle = page.evaluate("state.cycle")
    page.wait_for_function(f"() => state.cycle > {first_cycle + 3}", timeout=20_000)  # live
    # the pack carrying the most power right now, as the page shows it
    victim, watts = page.evaluate(
        "(() => { const p = state.packs.map(x => Math.abs(x.power_w || 0));"
        " const i = p.indexOf(Math.max(...p)); return [i, p[i]]; })()")
    assert watts > 1000.0  # the site is charging its packs: a live, non-zero value
    page.get_by_test_id(f"isolate-{victim}").click()
    power = page.get_by_test_id(f"pack-power-{victim}")
    sync_api.expect(power).to_have_text(re.compile(r"^-?0\.0 kW$"), timeout=20_000)
    later = page.evaluate("state.cycle") + 5
    page.wait_for_function(f"() => state.cycle > {later}", timeout=20_000)
    sync_api.expect(power).to_have_text(re.compile(r"^-?0\.0 kW$"))  # and stays there
    row = page.locator("#packs tbody tr").nth(victim)
    sync_api.expect(row).to_contain_text("isolated")
    sync_api.expect(page.get_by_test_id(f"rejoin-{victim}")).to_be_visible()
    assert page.locator("#stale").is_hidden()
    # PACKLIFE_DASHBOARD_PNG=docs/images/dashboard.png … keeps the README's screenshot
    shot = Path(os.environ.get("PACKLIFE_DASHBOARD_PNG", tmp_path / "dashboard.png"))
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    audit = httpx.get(site.base + "/api/v1/overrides",
                      headers={"Authorization": f"Bearer {site.keys['operator']}"}).json()
    assert [(o["kind"], o["pack_index"], o["created_by"]) for o in audit] == [
        ("isolate", victim, "operator")]


def test_viewer_sees_no_controls_and_is_refused(browser: Any, site: Site) -> None:
    page = _login(browser, site, "viewer")
    # times in the site's zone (jlr-test-site: Europe/London), whatever the browser's zone
    sync_api.expect(page.locator("#tz")).to_have_text("Europe/London")
    clock = re.compile(r"^\d\d/\d\d/\d{4}, \d\d:\d\d:\d\d$")
    sync_api.expect(page.get_by_test_id("clock")).to_have_text(clock)
    shown = datetime.strptime(page.get_by_test_id("clock").inner_text(), "%d/%m/%Y, %H:%M:%S")
    local = datetime.now(ZoneInfo("Europe/London")).replace(tzinfo=None)
    assert abs((local - shown).total_seconds()) < 5
    sync_api.expect(page.locator("#packs tbody tr")).to_have_count(7)
    assert page.locator("button[data-testid^=isolate-]").count() == 0
    assert page.locator("th.op").is_hidden()
    status = page.evaluate(
        "fetch('/api/v1/packs/0/isolate', {method: 'POST', headers: {'Content-Type': "
        "'application/json'}, body: '{\"ttl_s\": 60}'}).then(r => r.status)")
    assert status == 403


def test_stale_banner_when_the_loop_stops(browser: Any, site: Site) -> None:
    page = _login(browser, site, "viewer")
    banner = page.get_by_test_id("stale-banner")
    assert banner.is_hidden()
    site.loop.send_signal(signal.SIGINT)  # the control loop stops; the API keeps serving
    site.loop.wait(20)
    sync_api.expect(banner).to_be_visible(timeout=15_000)
    sync_api.expect(banner).to_contain_text("Stale data")
