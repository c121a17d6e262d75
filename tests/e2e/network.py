"""Network conditions for browser tests, as init scripts."""

from __future__ import annotations

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
