"""A flaky link between two servers: a TCP relay on loopback that counts the bytes going up
and, once, cuts a connection off after a given number of them."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field


@dataclass
class CuttingProxy:
    """Relays 127.0.0.1:`port` to 127.0.0.1:`target`. The first connection to carry more than
    `cut_after` bytes up is closed (both ways) right after that many; `up` counts every byte
    relayed up, and `up_at_cut` what it was when the cut came."""

    target: int
    cut_after: int
    up: int = 0
    up_at_cut: int | None = None
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _listener: socket.socket | None = field(default=None, repr=False)

    def start(self) -> CuttingProxy:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # stopped
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._up, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client), daemon=True).start()

    def _up(self, client: socket.socket, upstream: socket.socket) -> None:
        carried = 0
        try:
            while block := client.recv(65536):
                with self._lock:
                    if self.up_at_cut is None and carried + len(block) > self.cut_after:
                        block = block[: self.cut_after - carried]
                        upstream.sendall(block)
                        self.up += len(block)
                        self.up_at_cut = self.up
                        break
                    self.up += len(block)
                upstream.sendall(block)
                carried += len(block)
        except OSError:
            pass
        for side in (client, upstream):
            with contextlib.suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)
            side.close()

    def _down(self, upstream: socket.socket, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while block := upstream.recv(65536):
                client.sendall(block)
