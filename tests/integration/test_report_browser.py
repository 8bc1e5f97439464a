"""The HTML monthly report in a real headless Chromium (DOMAIN §10).

The page is built from cases run through the service layer, loaded over the DevTools
protocol, and checked: no console errors or exceptions, no request beyond the file itself
(self-contained), the three SVG charts in the DOM with their bars, the customer's text
shown literally (escaped, not run), and a screenshot that is not blank.

Without Chromium the test is skipped, except in CI (``CI=true``), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import struct
import subprocess
import time
import urllib.request
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.clock import FixedClock
from adapters.reports import to_html
from complaint_core import Channel, Intake, Market, Party, PartyKind, RemedyKind, Responsibility
from complaint_core.labels import Language
from complaint_core.report import MonthlyReport, monthly_report
from entrypoints.bootstrap import bootstrap

SHANGHAI = ZoneInfo("Asia/Shanghai")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HOSTILE = "<img src=x onerror=console.error('xss')>"


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    message = f"chromium not installed: none of {', '.join(BROWSERS)} is on PATH (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


# ----- a month of real cases ---------------------------------------------------------------------
def sh(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def november_report() -> MonthlyReport:
    """Eight manufacturing cases, two categories, four causes, three departments; three of them late."""
    service = bootstrap(clock=FixedClock(sh(11, 2)))

    def run(
        customer: str, category: str, cause: str, received: datetime, closed: datetime, dept: str, *, late_report: bool
    ) -> None:
        intake = Intake(
            customer=customer,
            channel=Channel.PHONE,
            category=category,
            cause_code=cause,
            market=Market.FOREIGN if cause == "solder" else Market.DOMESTIC,
            claimed_amount=Decimal("1000.00"),
        )
        case = service.receive(intake, actor="sales", at=received)
        ref = service.register(case.case_id, actor="gm_office", at=received).reference
        service.start_investigation(ref, actor="qa", at=received)
        service.reach_milestone(ref, "investigation_done", actor="qa", at=received)
        report_at = received + timedelta(days=5 if late_report else 1)
        service.reach_milestone(ref, "report_submitted", actor="qa", at=report_at)
        causer = Responsibility.sole(Party(PartyKind.DEPARTMENT, dept))
        service.attribute(ref, actor="qa", at=report_at, causer=causer)
        service.propose(ref, actor="sales", kind=RemedyKind.ALLOWANCE, amount=Decimal("700.00"), at=closed)
        service.approve(ref, actor="mgr", role="sales_manager", at=closed)
        service.reply(ref, actor="sales", message="同意折让", at=closed)
        service.close(ref, actor="gm_office", at=closed)

    run(HOSTILE, "quality", "warp", sh(11, 2), sh(11, 4), "smt", late_report=False)
    run("华东电子", "quality", "warp", sh(11, 3), sh(11, 20), "smt", late_report=True)  # both clocks late
    run("华东电子", "quality", "warp", sh(11, 9), sh(11, 12), "smt", late_report=False)
    run("Acme GmbH", "quality", "solder", sh(11, 10), sh(11, 13), "smt", late_report=False)
    run("南方电器", "non_quality", "label", sh(11, 16), sh(11, 18), "sales", late_report=False)
    run("南方电器", "non_quality", "label", sh(11, 17), sh(11, 26), "sales", late_report=True)
    run("北方机械", "non_quality", "packing", sh(11, 23), sh(11, 27), "warehouse", late_report=False)
    run("北方机械", "quality", "warp", sh(10, 20), sh(11, 6), "smt", late_report=False)  # close clock late
    with service.uow as uow:
        cases = list(uow.cases.all())
    return monthly_report(cases, month="2026-11", policy_for=service.policy_of, calendar_for=service.calendar_for)


# ----- a minimal DevTools client ------------------------------------------------------------------
class DevTools:
    """Commands and events over one page's DevTools websocket; every event is kept for the checks."""

    def __init__(self, url: str) -> None:
        import websocket  # the websocket-client package (dev dependency)

        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.events: list[dict[str, Any]] = []
        self.next_id = 0

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            self.events.append(message)
            if message.get("method") == method:
                return message
        raise TimeoutError(f"no {method} within {timeout}s")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                found.append("exception: " + json.dumps(params["exceptionDetails"])[:300])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        return found

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def open(self, url: str) -> None:
        self.events.clear()
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def close(self) -> None:
        self.ws.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    binary = find_browser()
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--remote-debugging-port=0",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,1800",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the wrapper script and its children end together
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chromium did not start its DevTools endpoint (exit code {process.poll()})")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        client = DevTools(page["webSocketDebuggerUrl"])
        try:
            yield client
        finally:
            client.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# ----- PNG decoding (stdlib only) -----------------------------------------------------------------
def png_pixels(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), f"unexpected PNG format depth={depth} colour={colour}"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def colour_stats(data: bytes) -> tuple[int, float]:
    """Distinct colours and the share of pixels that are not white, over a sample grid."""
    width, height, bpp, rows = png_pixels(data)
    colours: set[bytes] = set()
    sampled = inked = 0
    for y in range(0, height, 4):
        row = rows[y]
        for x in range(0, width, 4):
            pixel = row[x * bpp : x * bpp + 3]
            colours.add(pixel)
            sampled += 1
            inked += pixel != b"\xff\xff\xff"
    return len(colours), inked / sampled


# ----- the tests ----------------------------------------------------------------------------------
def test_the_harness_sees_console_errors(browser: DevTools, tmp_path: Path) -> None:
    """A page that logs an error is caught, so a clean run below means something."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>console.error('boom')</script></body></html>")
    browser.open(page.as_uri())
    assert any("boom" in error for error in browser.errors())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_report_loads_cleanly_with_its_charts(browser: DevTools, tmp_path: Path, lang: Language) -> None:
    report = november_report()
    assert report.total == 8 and report.audit  # some steps were late
    page = tmp_path / f"report-{lang}.html"
    page.write_text(to_html(report, lang), encoding="utf-8")
    browser.open(page.as_uri())

    assert browser.errors() == []
    assert set(browser.requests()) <= {page.as_uri()}  # self-contained: nothing else is fetched
    assert browser.evaluate("document.documentElement.lang") == ("zh-CN" if lang == "zh" else "en")
    assert browser.evaluate("document.characterSet") == "UTF-8"
    assert browser.evaluate("document.querySelectorAll('svg').length") >= 3
    for chart in ("chart-pareto", "chart-weekly", "chart-departments"):
        bars = browser.evaluate(f"document.querySelectorAll('#{chart} rect.bar').length")
        assert bars > 0, chart
        box = browser.evaluate(f"JSON.stringify(document.getElementById('{chart}').getBoundingClientRect())")
        assert json.loads(box)["width"] > 100, chart
    assert browser.evaluate("document.querySelectorAll('#chart-pareto polyline.cumulative').length") == 1
    assert browser.evaluate("document.querySelectorAll('img, script').length") == 0  # the customer's markup is text
    assert HOSTILE in browser.evaluate("document.body.innerText")
    heading = "客户投诉月度报告" if lang == "zh" else "Monthly complaint report"
    assert heading in browser.evaluate("document.querySelector('h1').textContent")

    shot = browser.send("Page.captureScreenshot", format="png")
    png = base64.b64decode(shot["data"])
    (tmp_path / f"report-{lang}.png").write_bytes(png)
    colours, inked = colour_stats(png)
    assert colours > 10, f"screenshot looks blank: {colours} colours"
    assert 0.01 < inked < 0.95, f"screenshot ink share {inked:.3f}"
