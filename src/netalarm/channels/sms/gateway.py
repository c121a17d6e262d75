"""The HTTP SMS gateway transport: `POST <NETALARM_SMS_URL>` with JSON `{to, text, id}`.

Any 2xx means sent. 408 and 429 (the gateway asks to come back later), 5xx, timeouts and
connection failures are retryable; every other 4xx is a refusal of this message, so
permanent."""

from __future__ import annotations

import httpx

from netalarm.channels.sms.transport import Outgoing, Permanent, Retryable

TIMEOUT_S = 10.0
RETRY_LATER = (408, 429)


class GatewayTransport:
    name = "http"

    def __init__(self, url: str, *, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url
        self.client = httpx.AsyncClient(timeout=timeout_s)

    async def send(self, message: Outgoing) -> None:
        body = {"to": message.to, "text": message.text, "id": str(message.id)}
        try:
            answer = await self.client.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            raise Retryable(f"gateway timed out: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise Retryable(f"gateway unreachable: {type(exc).__name__}: {exc}") from exc
        if answer.is_success:
            return
        detail = f"gateway answered {answer.status_code}: {answer.text[:200]}"
        if answer.status_code >= 500 or answer.status_code in RETRY_LATER:
            raise Retryable(detail)
        raise Permanent(detail)

    async def close(self) -> None:
        await self.client.aclose()
