"""A stand-in job for the local target's tests: a real HTTP server, standard library only.

Run as ``python standin_job.py --port N``. Answers ``/live`` (with JOB_DEPLOYMENT_TIMESTAMP),
``/ready``, ``/metrics`` and a few test controls: ``/env?name=X``, ``/log?msg=...``,
``/alloc?mb=N`` (keeps N MiB resident), ``/exit?code=N``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HELD: list[bytearray] = []


class Handler(BaseHTTPRequestHandler):
    def _json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/live":
            self._json(
                200, {"live": True, "deployment_timestamp": int(os.environ["JOB_DEPLOYMENT_TIMESTAMP"])}
            )
        elif url.path == "/ready":
            self._json(200, {"ready": True})
        elif url.path == "/metrics":
            body = b"# TYPE last_call_timestamp gauge\nlast_call_timestamp 1700000000.0\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif url.path == "/env":
            self._json(200, {"value": os.environ.get(query.get("name", ""))})
        elif url.path == "/cwd":
            self._json(200, {"cwd": os.getcwd(), "python": sys.executable})
        elif url.path == "/log":
            print(query.get("msg", ""), flush=True)
            self._json(200, {"logged": True})
        elif url.path == "/alloc":
            block = bytearray(int(query.get("mb", "1")) * 1024 * 1024)
            for i in range(0, len(block), 4096):
                block[i] = 1  # touch every page: resident, not just reserved
            HELD.append(block)
            self._json(200, {"held_mb": sum(len(b) for b in HELD) // (1024 * 1024)})
        elif url.path == "/exit":
            self._json(200, {"exiting": True})
            threading.Timer(0.05, os._exit, args=(int(query.get("code", "1")),)).start()
        else:
            self._json(404, {"error": "not found"})

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep the logs quiet
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    if os.environ.get("STANDIN_IGNORE_TERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"standin job {os.environ.get('JOB_NAME')} listening on port {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
