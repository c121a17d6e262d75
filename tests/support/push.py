"""A push client for tests: a real WebSocket connection to a server's seat or alarm socket,
with helpers to wait for the events a test expects."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

Event = dict[str, Any]


def ws_url(base: str, path: str, token: str, after: str | None = None) -> str:
    url = f"{base.replace('http://', 'ws://', 1)}{path}?access_token={token}"
    return f"{url}&after={after}" if after else url


class Push:
    """One open push socket. Events (frames with an `id`) are kept in `events` in arrival order."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[Event] = []
        self.frames: list[Event] = []

    @classmethod
    async def open(cls, base: str, path: str, token: str, after: str | None = None) -> Push:
        """Connect and wait for `hello`: from then on the server delivers every event."""
        ws = await websockets.connect(ws_url(base, path, token, after), open_timeout=10, max_queue=None)
        hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert hello["type"] == "hello", hello
        return cls(ws)

    @classmethod
    async def seat(cls, base: str, username: str, after: str | None = None) -> Push:
        token = login(base, username)
        return await cls.open(base, "/api/v1/seat/ws", token, after)

    @classmethod
    async def reporter(cls, base: str, alarm: dict[str, Any], after: str | None = None) -> Push:
        return await cls.open(base, f"/api/v1/alarms/{alarm['id']}/ws", alarm["reporter_token"], after)

    async def _receive(self, within: float) -> Event:
        frame: Event = json.loads(await asyncio.wait_for(self.ws.recv(), within))
        self.frames.append(frame)
        if "id" in frame:
            self.events.append(frame)
        return frame

    async def frame(self, type: str, within: float = 10) -> Event:
        """The next frame of `type` (events and control frames alike)."""
        deadline = time.monotonic() + within
        while True:
            frame = await self._receive(max(deadline - time.monotonic(), 0.001))
            if frame["type"] == type:
                return frame

    async def expect(self, match: Callable[[Event], bool], within: float = 10) -> Event:
        """The first event, already received or arriving `within` seconds, that `match`es."""
        for event in self.events:
            if match(event):
                return event
        deadline = time.monotonic() + within
        while True:
            frame = await self._receive(max(deadline - time.monotonic(), 0.001))
            if "id" in frame and match(frame):
                return frame

    async def settle(self, quiet: float = 0.5) -> list[Event]:
        """Receive until nothing arrives for `quiet` seconds; returns all events so far."""
        while True:
            try:
                await self._receive(quiet)
            except TimeoutError:
                return self.events

    def count(self, match: Callable[[Event], bool]) -> int:
        return sum(1 for e in self.events if match(e))

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def close(self) -> None:
        await self.ws.close()


def login(base: str, username: str, password: str = "demo-pass-110") -> str:
    answer = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def of(type: str, incident_id: str | None = None, **data: Any) -> Callable[[Event], bool]:
    """Matches events of `type` (and `incident_id`, if given) whose data holds every given
    key/value (`__` reaches into nested objects: `message__id` is data["message"]["id"])."""

    def match(event: Event) -> bool:
        if event["type"] != type or incident_id not in (None, event["incident_id"]):
            return False
        for key, value in data.items():
            found: Any = event["data"]
            for part in key.split("__"):
                found = found.get(part) if isinstance(found, dict) else None
            if found != value:
                return False
        return True

    return match
