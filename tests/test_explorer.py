"""`sim explore`: the server refuses bad requests itself (whatever the page allows), stays within
its limits, listens on 127.0.0.1, writes nothing unless asked; and in a real headless Chromium
the page loads, a slider moves and the numbers change."""
from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from pathlib import Path

import pytest

from sim.explorer import server as srv
from sim.explorer.app import Explorer

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "scenarios" / "design" / "explorer.yaml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
POSTS = "labour.public_posts"


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    out = tmp_path_factory.mktemp("explorer") / "results"
    e = Explorer(SPEC, ROOT / "scenarios", replications=3, households=300, seed=0, out=out)
    yield e
    e.close()


@pytest.fixture(scope="module")
def server(explorer):
    s = srv.serve(explorer, "127.0.0.1", 0)
    thread = threading.Thread(target=s.serve_forever, daemon=True)
    thread.start()
    yield s
    s.shutdown()
    s.socket.close()


def request(server, method, path, body=None, headers=None, raw=None):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=120)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    conn.request(method, path, body=data, headers=hdrs)
    r = conn.getresponse()
    payload = r.read()
    conn.close()
    try:
        return r.status, json.loads(payload)
    except ValueError:
        return r.status, payload


def test_listens_on_localhost_by_default(explorer):
    s = srv.serve(explorer, port=0)
    try:
        assert s.server_address[0] == "127.0.0.1" and s.url.startswith("http://127.0.0.1:")
    finally:
        s.socket.close()


@pytest.mark.parametrize("body, key", [
    ({"package": "employment", "levers": {POSTS: 4001}}, f"levers.{POSTS}"),
    ({"package": "employment", "levers": {POSTS: -1}}, f"levers.{POSTS}"),
    ({"package": "employment", "levers": {POSTS: 10.5}}, f"levers.{POSTS}"),
    ({"package": "employment", "levers": {POSTS: "500"}}, f"levers.{POSTS}"),
    ({"package": "employment", "levers": {POSTS: True}}, f"levers.{POSTS}"),
    ({"package": "employment", "levers": {"labour.broker_coverage": 1.01}}, "levers.labour.broker_coverage"),
    ({"package": "employment", "levers": {"labour.wage_growth": 0.1}}, "levers.labour.wage_growth"),
    ({"package": "../baseline", "levers": {}}, "package"),
    ({"package": "employment", "levers": [1]}, "levers"),
    ({"package": "employment", "extra": 1}, "(body)"),
    ([1, 2], "(body)"),
])
def test_server_refuses_out_of_range_and_unknown_values(server, body, key):
    before = dict(server.explorer.progress)
    status, data = request(server, "POST", "/api/evaluate", body)
    assert status == 400 and data["key"] == key
    assert server.explorer.progress == before  # nothing was computed


def test_server_refuses_non_finite_numbers(server):
    status, data = request(server, "POST", "/api/evaluate",
                           raw=b'{"package": "employment", "levers": {"labour.public_posts": NaN}}')
    assert status == 400 and data["key"] == f"levers.{POSTS}"


def test_request_limits(server):
    assert request(server, "POST", "/api/evaluate", raw=b"x" * (srv.MAX_BODY + 1))[0] == 413
    assert request(server, "POST", "/api/evaluate", raw=b"{not json")[0] == 400
    assert request(server, "POST", "/api/evaluate", {"package": "baseline"},
                   headers={"Content-Type": "text/plain"})[0] == 415
    assert request(server, "GET", "/" + "a" * srv.MAX_PATH)[0] == 414
    assert request(server, "GET", "/api/config", headers={"Host": "evil.example:80"})[0] == 403
    assert request(server, "GET", "/nowhere")[0] == 404


def test_one_computation_at_a_time_and_a_timeout(explorer, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(explorer, "evaluate", lambda name, values: release.wait(30) and {"ok": 1})
    s = srv.serve(explorer, "127.0.0.1", 0, compute_timeout=1)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    try:
        body = {"package": "baseline", "levers": {}}
        assert request(s, "POST", "/api/evaluate", body)[0] == 504  # waited 1 s, gave up
        assert request(s, "POST", "/api/evaluate", body)[0] == 503  # the first still runs
        release.set()
        time.sleep(0.3)
        assert request(s, "POST", "/api/evaluate", body)[0] == 200
    finally:
        release.set()
        s.shutdown()
        s.socket.close()


def test_connections_are_capped(explorer):
    s = srv.serve(explorer, "127.0.0.1", 0)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    idle = [socket.create_connection(s.server_address[:2]) for _ in range(srv.MAX_CONNECTIONS)]
    try:
        time.sleep(0.3)
        extra = socket.create_connection(s.server_address[:2])
        extra.settimeout(5)
        assert extra.recv(100).startswith(b"HTTP/1.1 503")
        extra.close()
    finally:
        for c in idle:
            c.close()
        s.shutdown()
        s.socket.close()


def test_evaluates_and_saves_only_when_asked(server):
    out = server.explorer.out
    status, data = request(server, "POST", "/api/evaluate", {"package": "employment", "levers": {POSTS: 2000}})
    assert status == 200 and {t["target"] for t in data["targets"]} >= {"T1", "T7", "T1&T2"}
    assert data["charts"]["zh"]["fan"].startswith("<svg") and data["extra_cost_yuan"] > 0
    assert not out.exists()  # computing wrote nothing
    status, data = request(server, "POST", "/api/save", {"package": "employment", "levers": {POSTS: 2000}})
    assert status == 200
    saved = Path(data["saved"])
    assert saved.parent == out and (saved / "package.yaml").is_file() and (saved / "fan_en.svg").is_file()


def test_page_in_headless_chromium(server, tmp_path):
    # waits use locators (expect), not JavaScript strings: the page's CSP forbids eval
    from playwright.sync_api import expect, sync_playwright
    wait = 120_000  # ms: a small ensemble on a busy machine
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url)
            page.select_option("#package", "employment")
            cost = page.locator("#extra-cost")
            expect(cost).to_contain_text("百万元", timeout=wait)
            expect(page.locator("[id='p-T1']")).to_contain_text("%")
            before, t1_before = cost.inner_text(), page.inner_text("[id='p-T1']")
            page.locator(f"[id='range-{POSTS}']").fill("4000")  # moves the slider, firing input
            expect(cost).not_to_have_text(before, timeout=wait)
            assert page.input_value(f"[id='num-{POSTS}']") == "4000"
            assert page.locator("#fan svg polyline").count() == 2  # package and baseline medians
            page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
            # the page refuses an out-of-range value itself, with a message and no request
            page.fill(f"[id='num-{POSTS}']", "99999")
            page.dispatch_event(f"[id='num-{POSTS}']", "change")
            expect(page.locator("#message")).to_contain_text("4000")
            assert cost.inner_text() != before
            page.click("#lang")
            expect(cost).to_contain_text("million yuan")
            assert not errors, errors
            print(f"T1 {t1_before} -> {page.inner_text('[id=p-T1]')}; screenshot {tmp_path / 'explorer.png'}")
        finally:
            browser.close()
