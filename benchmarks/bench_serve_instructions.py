"""CPU instructions per cached `POST /api/v2/process`, in-process, independent of machine load.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python benchmarks/bench_serve_instructions.py N

Runs the ASGI app directly (no server, no sockets) for 200 warm-up requests and then N
cached requests. Run it twice (e.g. N=500 and N=2500) and divide the difference of
callgrind's "Collected" counts by the difference of N: instructions per request, which does
not move with what else the machine runs (wall-clock benchmarks here do). Run the same pair
against two checkouts to compare the request path's cost side by side.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys

from ioncli.config import ServeSettings, Settings
from ioncli.serve.app import create_app
from ioncli.serve.state import Deps

BODY = (
    b'{"user_input":"I keep getting stuck planning my project, how should I start?",'
    b'"resonance_key":{"tone":"curious","pace":"flowing","intent":"planning"}}'
)


async def main(count: int) -> None:
    settings = Settings(serve=dataclasses.replace(ServeSettings(), history=False))
    app = create_app(settings, Deps(environ={}))
    await app.state.startup()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v2/process",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "query_string": b"",
        "client": ("127.0.0.1", 50000),
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: object) -> None:
        return None

    for _ in range(200 + count):
        await asyncio.create_task(app(scope, receive, send))
    await app.state.shutdown()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
