"""Push sockets are not compressed unless the deployment asks: browsers offer
permessage-deflate on every WebSocket, and accepting it costs each connection its own
compressor state and a compression of every frame."""

from __future__ import annotations

import json
from pathlib import Path

import websockets

from tests.support.push import login, ws_url
from tests.support.servers import Server, demo_with


async def _extensions(base: str) -> str | None:
    """What the server accepted of a client that offers permessage-deflate, as browsers do."""
    token = login(base, "futian.net")
    async with websockets.connect(ws_url(base, "/api/v1/seat/ws", token), compression="deflate") as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        assert ws.response is not None
        return ws.response.headers.get("Sec-WebSocket-Extensions")


async def test_a_push_socket_is_not_compressed_by_default_though_the_client_offers_it(
    demo_server: Server,
) -> None:
    assert await _extensions(demo_server.url) is None


async def test_compression_is_accepted_when_the_deployment_turns_it_on(tmp_path: Path) -> None:
    with demo_with(tmp_path, NETALARM_WS_COMPRESSION="true") as server:
        accepted = await _extensions(server.url)
    assert accepted is not None and accepted.startswith("permessage-deflate")
