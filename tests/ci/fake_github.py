"""A fake of the few GitHub REST routes the action uses, on 127.0.0.1 (issue comments)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

PAGE = 2  # small pages, so the action must follow the Link header


class FakeGitHub:
    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.comments: dict[int, dict[str, Any]] = {}  # id -> {id, pr, body, html_url}
        self.calls: list[tuple[str, str]] = []
        self._next = 100
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet test output
                pass

            def _reply(self, status: int, body: Any, link: str = "") -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                if link:
                    self.send_header("Link", link)
                self.end_headers()
                self.wfile.write(raw)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._reply(401, {"message": "Bad credentials"})
                    return False
                return True

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                return dict(json.loads(self.rfile.read(length) or b"{}"))

            def do_GET(self) -> None:
                fake.calls.append(("GET", self.path))
                if not self._authorised():
                    return
                url = urlparse(self.path)
                match = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", url.path)
                if not match:
                    self._reply(404, {"message": "Not Found"})
                    return
                pr = int(match.group(1))
                mine = [c for c in fake.comments.values() if c["pr"] == pr]
                page = int(parse_qs(url.query).get("page", ["1"])[0])
                chunk = mine[(page - 1) * PAGE : page * PAGE]
                link = ""
                if page * PAGE < len(mine):
                    host = self.headers.get("Host")
                    nxt = f"http://{host}{url.path}?per_page=100&page={page + 1}"
                    link = f'<{nxt}>; rel="next"'
                self._reply(200, [fake.public(c) for c in chunk], link)

            def do_POST(self) -> None:
                fake.calls.append(("POST", self.path))
                if not self._authorised():
                    return
                match = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", self.path)
                if not match:
                    self._reply(404, {"message": "Not Found"})
                    return
                fake._next += 1
                comment = {
                    "id": fake._next,
                    "pr": int(match.group(1)),
                    "body": self._body()["body"],
                }
                comment["html_url"] = f"https://github.invalid/pr/{comment['pr']}#{fake._next}"
                fake.comments[fake._next] = comment
                self._reply(201, fake.public(comment))

            def do_PATCH(self) -> None:
                fake.calls.append(("PATCH", self.path))
                if not self._authorised():
                    return
                match = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", self.path)
                if not match or int(match.group(1)) not in fake.comments:
                    self._reply(404, {"message": "Not Found"})
                    return
                comment = fake.comments[int(match.group(1))]
                comment["body"] = self._body()["body"]
                self._reply(200, fake.public(comment))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def public(comment: dict[str, Any]) -> dict[str, Any]:
        return {"id": comment["id"], "body": comment["body"], "html_url": comment["html_url"]}

    def add(self, pr: int, body: str) -> None:
        """A comment someone else wrote (the action must leave it alone)."""
        self._next += 1
        self.comments[self._next] = {
            "id": self._next,
            "pr": pr,
            "body": body,
            "html_url": f"https://github.invalid/{self._next}",
        }

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
