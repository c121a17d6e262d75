"""Network conditions for browser tests: init scripts, and routes that stand in for the server."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, Route

# An event id the server never gave out, as a page holds after the database was restored.
UNKNOWN_EVENT = "00000000-0000-7000-8000-000000000000"

# Every WebSocket fails before it opens, as behind a proxy that refuses the upgrade.
WEBSOCKET_REFUSED = """
window.WebSocket = class {
  constructor() {
    setTimeout(() => {
      if (this.onerror) this.onerror(new Event("error"));
      if (this.onclose) this.onclose(new CloseEvent("close", { code: 1006 }));
    }, 20);
  }
  close() {}
};
"""


def first_stream_shows_an_unknown_event(context: BrowserContext, pattern: str, event_type: str) -> list[str]:
    """Answer the first event stream matching `pattern` here: a hello and an event of
    `event_type` whose id is `UNKNOWN_EVENT`, then its end. Later streams go to the server.
    Returns the URLs of the streams asked for, filled in as they are."""
    streams: list[str] = []

    def answer(route: Route) -> None:
        streams.append(route.request.url)
        if len(streams) > 1:
            route.continue_()
            return
        seen = f'{{"id": "{UNKNOWN_EVENT}", "type": "{event_type}"}}'
        frames = f'data: {{"type": "hello"}}\n\ndata: {seen}\n\n'
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=frames)

    context.route(pattern, answer)
    return streams


def wait_for_resumption_from_the_unknown_event(page: Page, streams: list[str], within_s: float) -> None:
    """Until the page asks to resume after `UNKNOWN_EVENT` (the server refuses that: 422)."""
    for _ in range(int(within_s * 10)):
        if any(f"after={UNKNOWN_EVENT}" in url for url in streams):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"no resumption from the unknown event among {streams}")
