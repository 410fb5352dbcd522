"""The explorer's web server: one page, a JSON API, bounded in every way a browser could push it.

Why the standard library's ``http.server`` and not Solara (not installable here) or tornado: the
explorer is one page and four JSON endpoints used by one person on their own machine; a
threaded stdlib server with explicit limits is small enough to read whole, needs nothing beyond
Python, and its limits are the ones written below.

Limits: it listens on 127.0.0.1 unless told otherwise and answers only requests whose ``Host`` is
the address it listens on (no DNS rebinding); at most ``MAX_CONNECTIONS`` connections at once
(more get 503); a socket idle for ``SOCKET_TIMEOUT`` seconds is closed; a request line longer
than ``MAX_PATH`` gets 414 and a body above ``MAX_BODY`` bytes gets 413 unread; one computation at
a time (a second request while one runs gets 503 "busy"), and a request waits for its result at
most ``COMPUTE_TIMEOUT`` seconds (504). Lever values are checked on the server
(``Explorer.check``) whatever the page allowed.
"""
from __future__ import annotations

import concurrent.futures as cf
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .app import RequestError

MAX_BODY = 4096          # bytes: a package request is about 500
MAX_PATH = 512           # characters in the request path
MAX_CONNECTIONS = 8      # connections served at once
SOCKET_TIMEOUT = 15      # seconds a connection may sit idle
COMPUTE_TIMEOUT = 300    # seconds a request waits for its computation
LOOPBACK = ("127.0.0.1", "localhost", "::1")
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class ExplorerServer(ThreadingHTTPServer):
    """A threaded HTTP server with a cap on connections and a single computation slot."""

    daemon_threads = True

    def __init__(self, address, explorer, compute_timeout=COMPUTE_TIMEOUT):
        self.explorer, self.compute_timeout = explorer, compute_timeout
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.computing = threading.Lock()
        self.worker = cf.ThreadPoolExecutor(1, thread_name_prefix="explorer-compute")
        super().__init__(address, Handler)
        host, port = self.server_address[:2]
        self.hosts = {f"{h}:{port}" for h in (host, *LOOPBACK)} if host in LOOPBACK else None

    @property
    def url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def process_request(self, request, client_address):
        if not self.slots.acquire(blocking=False):
            try:
                request.sendall(BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address):
        """A browser that goes away mid-answer is normal; anything else is printed."""
        import sys
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, TimeoutError)):
            super().handle_error(request, client_address)

    def compute(self, fn, *args):
        """Run ``fn(*args)`` in the single computation slot; None if the slot is taken."""
        if not self.computing.acquire(blocking=False):
            return None
        future = self.worker.submit(fn, *args)
        future.add_done_callback(lambda _: self.computing.release())
        return future

    def server_close(self):
        super().server_close()
        self.worker.shutdown(wait=False, cancel_futures=True)
        self.explorer.close()


class Handler(BaseHTTPRequestHandler):
    """GET / (the page), /api/config, /api/progress; POST /api/evaluate, /api/save."""

    timeout = SOCKET_TIMEOUT
    server_version = "sim-explorer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: the terminal shows the URL and errors only
        pass

    def _send(self, status, body, content_type="application/json; charset=utf-8"):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline' 'self'; "
                         "style-src 'unsafe-inline'; img-src data:; font-src data:")
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status, message, key=None):
        self.close_connection = True
        self._send(status, {"error": message, "key": key})

    def _allowed(self):
        if len(self.path) > MAX_PATH:
            self._error(414, "request path too long")
            return False
        hosts = self.server.hosts
        if hosts is not None and self.headers.get("Host") not in hosts:
            self._error(403, "this explorer answers only on the address it listens on")
            return False
        return True

    def do_GET(self):
        if not self._allowed():
            return
        if self.path == "/":
            self._send(200, self.server.explorer.page(), "text/html; charset=utf-8")
        elif self.path == "/api/config":
            self._send(200, self.server.explorer.config())
        elif self.path == "/api/progress":
            busy = self.server.computing.locked()
            self._send(200, {**self.server.explorer.progress, "busy": busy})
        else:
            self._error(404, "not found")

    def _body(self):
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._error(411, "Content-Length required")
            return None
        if int(length) > MAX_BODY:
            self._error(413, f"request body above {MAX_BODY} bytes")
            return None
        if self.headers.get_content_type() != "application/json":
            self._error(415, "send application/json")
            return None
        try:
            return json.loads(self.rfile.read(int(length)).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            self._error(400, "the body is not valid JSON")
            return None

    def do_POST(self):
        if not self._allowed():
            return
        actions = {"/api/evaluate": self.server.explorer.evaluate, "/api/save": self.server.explorer.save}
        if self.path not in actions:
            self._error(404, "not found")
            return
        payload = self._body()
        if payload is None:
            return
        try:
            name, values = self.server.explorer.check(payload)
        except RequestError as e:
            self._error(400, e.message, e.key)
            return
        future = self.server.compute(actions[self.path], name, values)
        if future is None:
            self._error(503, "busy: one computation at a time; try again when it ends")
            return
        try:
            result = future.result(timeout=self.server.compute_timeout)
        except cf.TimeoutError:
            self._error(504, f"the computation took more than {self.server.compute_timeout} s")
            return
        self._send(200, {"saved": str(result)} if self.path == "/api/save" else result)


def serve(explorer, host="127.0.0.1", port=8765, compute_timeout=COMPUTE_TIMEOUT):
    """A started-up (not yet serving) :class:`ExplorerServer`; call ``serve_forever`` on it."""
    return ExplorerServer((host, port), explorer, compute_timeout)
