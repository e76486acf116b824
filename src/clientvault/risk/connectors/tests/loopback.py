"""A real HTTP server on 127.0.0.1 (port 0, in a thread) that speaks 天眼查's or 企查查's documented protocol.

The fakes check the credentials exactly as the providers document them and answer with the documented envelopes
and error codes; tests script failures (a 500, a rate limit, a slow or malformed answer) in front of them.
They compute the 企查查 signature themselves, so a client that signs wrongly is caught.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers={"Content-Type": "application/json"})


@dataclass
class SeenRequest:
    path: str
    params: dict[str, str]
    headers: dict[str, str]  # lower-case names


PASS = None  # in a script: let the fake provider answer normally


class FakeProvider:
    def __init__(self) -> None:
        self.scripts: dict[str, deque[Reply | None]] = defaultdict(deque)

    def script(self, path: str, *replies: Reply | None) -> None:
        self.scripts[path].extend(replies)

    def reply(self, request: SeenRequest) -> Reply:
        queued = self.scripts.get(request.path)
        if queued:
            scripted = queued.popleft()
            if scripted is not None:
                return scripted
        return self.answer(request)

    def answer(self, request: SeenRequest) -> Reply:
        """A path no provider serves: 404, as a real gateway answers (each provider overrides this)."""
        return Reply(404, b"not found")


def _page(rows: list[dict[str, Any]], page: str | None, size: str | None) -> list[dict[str, Any]]:
    number, per_page = int(page or "1"), min(int(size or "20"), 20)
    return rows[(number - 1) * per_page : number * per_page]


class FakeTianyancha(FakeProvider):
    """Authorization: <token>; keyword, pageNum, pageSize; {"error_code", "reason", "result": {"total", "items"}}."""

    def __init__(self, token: str, data: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
        super().__init__()
        self.token, self.data = token, data

    def answer(self, request: SeenRequest) -> Reply:
        if request.headers.get("authorization") != self.token:
            return json_reply({"error_code": 300009, "reason": "账号信息有误", "result": None})
        if request.path not in self.data:
            return Reply(404, b"<html>404</html>")
        keyword = request.params.get("keyword")
        if not keyword:
            return json_reply({"error_code": 300008, "reason": "缺少必要参数", "result": None})
        rows = self.data[request.path].get(keyword, [])
        if not rows:
            return json_reply({"error_code": 300000, "reason": "经查无结果", "result": None})
        items = _page(rows, request.params.get("pageNum"), request.params.get("pageSize"))
        return json_reply({"error_code": 0, "reason": "ok", "result": {"total": len(rows), "items": items}})


class FakeQichacha(FakeProvider):
    """key=<AppKey>; Token = MD5(key+Timespan+SecretKey) upper-case, Timespan in seconds; Status/Paging/Result."""

    def __init__(
        self, key: str, secret_key: str, data: dict[str, dict[str, list[dict[str, Any]]]], *, unpaged: frozenset[str] = frozenset()
    ) -> None:
        super().__init__()
        self.key, self.secret_key, self.data, self.unpaged = key, secret_key, data, unpaged
        self.max_skew = 300  # seconds a Timespan may differ from the server's clock

    def _envelope(self, status: str, message: str, **extra: Any) -> Reply:
        return json_reply({"Status": status, "Message": message, "OrderNumber": f"ORDER{time.time_ns()}", **extra})

    def answer(self, request: SeenRequest) -> Reply:
        key = request.params.get("key", "")
        if key != self.key:
            return self._envelope("101", "当前的KEY无效或者还未生效中")
        timespan, token = request.headers.get("timespan", ""), request.headers.get("token", "")
        expected = hashlib.md5((key + timespan + self.secret_key).encode()).hexdigest().upper()
        if not timespan.isdigit() or abs(int(timespan) - time.time()) > self.max_skew or token != expected:
            return self._envelope("107", "被禁止的IP或者签名错误")
        if request.path not in self.data:
            return Reply(404, b"<html>404</html>")
        keyword = request.params.get("keyNo" if request.path in self.unpaged else "searchKey", "")
        if len(keyword) < 2:
            return self._envelope("213", "参数长度不能小于2")
        rows = self.data[request.path].get(keyword, [])
        if not rows:
            return self._envelope("201", "查询无结果", Paging=None, Result=None)
        if request.path in self.unpaged:
            return self._envelope("200", "查询成功", Result=rows)
        items = _page(rows, request.params.get("pageIndex"), request.params.get("pageSize"))
        paging = {"PageSize": len(items), "PageIndex": int(request.params.get("pageIndex", "1")), "TotalRecords": len(rows)}
        return self._envelope("200", "查询成功", Paging=paging, Result=items)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0

    def get_request(self) -> Any:
        accepted = super().get_request()
        self.connections += 1
        return accepted

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (the timeout test) breaks the pipe; that is expected


class LoopbackServer:
    def __init__(self, provider: FakeProvider) -> None:
        self.provider = provider
        self.requests: list[SeenRequest] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                seen = SeenRequest(parts.path, dict(parse_qsl(parts.query)), {k.lower(): v for k, v in self.headers.items()})
                outer.requests.append(seen)
                reply = outer.provider.reply(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def connections(self) -> int:
        return self._server.connections

    def requests_to(self, path: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path == path]

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
