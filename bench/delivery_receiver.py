"""A fast loopback webhook receiver for ``bench.delivery``, in its own process.

    python -m bench.delivery_receiver [DELAY_MS]   # prints its port, serves until killed

Answers every POST with 200, at once or after DELAY_MS (each request in its own thread,
as a service across a network would: the delay is a round trip, not a queue; HTTP/1.1,
keep-alive) and counts the requests and
the distinct Idempotency-Keys; ``GET /stats`` returns both as JSON, ``POST /reset``
(with no key) clears them. In a process of its own so that it shares no interpreter
with the dispatcher it measures.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_lock = threading.Lock()
_keys: set[str] = set()
_requests = [0]
_delay = [0.0]  # seconds before each answer to an alert


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The status line and headers go out in one write and the body in another: with
    # Nagle's algorithm the body waits for the client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = self.headers.get("Idempotency-Key")
        with _lock:
            if key is None:  # /reset
                _keys.clear()
                _requests[0] = 0
            else:
                _keys.add(key)
                _requests[0] += 1
        if key is not None and _delay[0]:
            time.sleep(_delay[0])
        self._answer(b"ok")

    def do_GET(self) -> None:
        with _lock:
            stats = {"requests": _requests[0], "keys": len(_keys)}
        self._answer(json.dumps(stats).encode())

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # connections opened at once wait, never refused
    daemon_threads = True


def main() -> None:
    _delay[0] = float(sys.argv[1]) / 1000 if len(sys.argv) > 1 else 0.0
    server = _Server(("127.0.0.1", 0), _Handler)
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
