"""A scriptable OpenAI-compatible chat-completions server on 127.0.0.1, for responder tests.

Each request takes the next scripted step (or answers normally once the script is used up):
("ok", content) answers with that content; ("status", code[, retry_after]) answers with that
HTTP status; ("sleep", seconds) answers normally after a delay; ("raw", body) sends a 200
with that raw body. Every request is recorded (path, headers, JSON body).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeChatServer:
    url: str
    script: deque[tuple[Any, ...]] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)


def _handler(state: FakeChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            body = json.loads(raw) if raw else {}
            state.requests.append(Recorded(self.path, dict(self.headers.items()), body))
            step = state.script.popleft() if state.script else ("ok", None)
            if self.path != "/v1/chat/completions":
                self._send(404, b'{"error": "not found"}')
            elif step[0] == "status":
                extra = {"Retry-After": str(step[2])} if len(step) > 2 else {}
                self._send(step[1], b'{"error": {"message": "scripted"}}', extra)
            elif step[0] == "raw":
                self._send(200, step[1].encode())
            else:
                if step[0] == "sleep":
                    time.sleep(step[1])
                content = step[1] if step[0] == "ok" and step[1] is not None else None
                if content is None:
                    content = f"answer from {body.get('model')}"
                reply = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                }
                self._send(200, json.dumps(reply).encode())

        def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

    return Handler


@contextmanager
def fake_chat_server() -> Iterator[FakeChatServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    state = FakeChatServer(url=f"http://127.0.0.1:{port}/v1")
    server.RequestHandlerClass = _handler(state)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
