"""The phone's signal in browser tests: a TCP relay between the browser and the live server.

Chromium's offline emulation (``context.set_offline``) covers the page's own requests, but not
always those of its service worker (a worker started again after idling may fetch before the
emulation reaches it), so a test could see the server reached while "offline". The browser talks
to the live server through this relay; cutting it resets every open connection and every new one,
as a lost signal does, whatever the browser believes.
"""
from __future__ import annotations

import socket
import struct
import threading

BUFFER = 64 * 1024


def _reset(sock: socket.socket) -> None:
    """Close ``sock`` with a reset (no orderly goodbye), as a dropped link does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes the pump blocked in recv()
    except OSError:
        pass
    sock.close()


class Signal:
    """Relays ``127.0.0.1:<port>`` to the server on ``target_port`` while the signal is there."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lost = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept, name="signal-accept", daemon=True).start()

    @property
    def present(self) -> bool:
        return not self._lost.is_set()

    def lose(self) -> None:
        """No signal: open connections are reset, new ones are reset as soon as they come."""
        self._lost.set()
        with self._lock:
            dropped, self._open = self._open, set()
        for sock in dropped:
            _reset(sock)

    def restore(self) -> None:
        """The signal is back: new connections reach the server again."""
        self._lost.clear()

    def close(self) -> None:
        self.lose()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return  # closed
            if self._lost.is_set():
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                if self._lost.is_set():  # lost while connecting
                    _reset(client)
                    _reset(upstream)
                    continue
                self._open.update((client, upstream))
            pair = _Pair(client, upstream, self._forget)
            threading.Thread(target=pair.pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pair.pump, args=(upstream, client), daemon=True).start()

    def _forget(self, *socks: socket.socket) -> None:
        with self._lock:
            self._open.difference_update(socks)


class _Pair:
    """One relayed connection: two pumps; the sockets close when both directions have ended."""

    def __init__(self, client: socket.socket, upstream: socket.socket, forget):
        self._socks = (client, upstream)
        self._forget = forget
        self._running = 2
        self._lock = threading.Lock()

    def pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(BUFFER):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)  # pass the orderly end on
        except OSError:  # one side reset (or the signal was lost): the other ends too
            for sock in self._socks:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        with self._lock:
            self._running -= 1
            last = self._running == 0
        if last:
            self._forget(*self._socks)
            for sock in self._socks:
                try:
                    sock.close()
                except OSError:
                    pass
