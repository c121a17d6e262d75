"""An HTTP proxy in front of a server that breaks off a chosen response midway, as a boundary
link that drops: it forwards every request (keeping its method, path and `Range` header in
`seen`) and, once armed, cuts the connection after so many bytes of the next matching
response's body."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from tests.support.servers import free_port

HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"host"}


class BrokenOff(Exception):
    """Raised mid-response: uvicorn then drops the connection, as a failing link would."""


@dataclass
class Seen:
    method: str
    path: str
    range: str | None


@dataclass
class BreakingProxy:
    upstream: str
    port: int = field(default_factory=free_port)
    seen: list[Seen] = field(default_factory=list)
    _cut: tuple[str, int] | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    def break_next(self, path_part: str, after: int) -> None:
        """Cut the next response to a GET whose path holds `path_part` after `after` body bytes."""
        self._cut = (path_part, after)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        wanted = dict(headers).get(b"range")
        path = scope["path"] + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
        self.seen.append(Seen(scope["method"], scope["path"], wanted.decode() if wanted else None))
        cut = None
        if self._cut and scope["method"] == "GET" and self._cut[0] in scope["path"]:
            cut, self._cut = self._cut[1], None
        async with httpx.AsyncClient(base_url=self.upstream, timeout=30) as client:
            request = client.build_request(scope["method"], path, headers=headers, content=body)
            answer = await client.send(request, stream=True)
            try:
                kept = [(k, v) for k, v in answer.headers.raw if k.lower() not in HOP_BY_HOP]
                await send({"type": "http.response.start", "status": answer.status_code, "headers": kept})
                sent = 0
                async for chunk in answer.aiter_raw():
                    if cut is not None and sent + len(chunk) >= cut:
                        await send(
                            {"type": "http.response.body", "body": chunk[: cut - sent], "more_body": True}
                        )
                        raise BrokenOff(f"{scope['path']} broken off after {cut} bytes")
                    sent += len(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
            finally:
                await answer.aclose()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BreakingProxy:
        config = uvicorn.Config(self, host="127.0.0.1", port=self.port, log_level="critical", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve()), daemon=True)  # type: ignore[union-attr]
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the breaking proxy did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
