"""A local stand-in for Have I Been Pwned's range API, so no test (and no
benchmark) reaches the internet.

`GET /range/<first 5 hex of SHA-1>` answers `SUFFIX:COUNT` lines, as the real
API does, for the breached passwords below and a little padding.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Passwords that pass every other validator but are "breached".
BREACHED = {"Breached-Passw0rd-2024": 37_615}


def _sha1(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


class _RangeAPI(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        prefix = self.path.removeprefix("/range/").upper()
        if len(prefix) != 5 or self.path == prefix:
            self.send_error(400)
            return
        lines = [
            f"{digest[5:]}:{count}"
            for password, count in BREACHED.items()
            if (digest := _sha1(password)).startswith(prefix)
        ]
        lines.append(f"{'0' * 35}:0")  # padding, as Add-Padding asks
        body = "\r\n".join(lines).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """Quiet: a test run makes thousands of these requests."""


class FakeRangeAPI:
    """The fake on a free loopback port, in a thread of this process."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _RangeAPI)
        # Every path asked for, so tests can see what left the service.
        self.paths: list[str] = []
        self.server.paths = self.paths  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
