"""Taking the database away from a running minhu and giving it back, on loopback only.

SQLite: another process holds the file's write lock (``BEGIN EXCLUSIVE``), as a backup tool or a stuck import
would. PostgreSQL: the app reaches the server through a TCP relay on 127.0.0.1 that can be cut and restored, as a
server restart or a network break would look to it; the shared test server itself keeps running.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from contextlib import suppress

from sqlalchemy.engine import make_url

from minhu.core.db import Database, is_sqlite

WAIT_SECONDS = 0.5


class Relay:
    """Forwards 127.0.0.1:<port> to the database server; ``cut()`` drops every connection and stops listening,
    ``restore()`` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()

    def restore(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self._listener is not None:
            # shutdown first: a bare close leaves the accepting thread's socket listening on Linux.
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for each in self._sockets:
                with suppress(OSError):
                    each.shutdown(socket.SHUT_RDWR)
                each.close()
            self._sockets.clear()


class Outage:
    """A Database the app can use, and the means to take it away (``begin``) and give it back (``end``)."""

    def __init__(self, url: str) -> None:
        self._holder: subprocess.Popen[str] | None = None
        self._relay: Relay | None = None
        if is_sqlite(url):
            self.path = make_url(url).database
            self.url = url
        else:
            parsed = make_url(url)
            self._relay = Relay((parsed.host or "127.0.0.1", parsed.port or 5432))
            self._relay.restore()
            self.url = parsed.set(host="127.0.0.1", port=self._relay.port).render_as_string(hide_password=False)
        self.database = Database(self.url, wait_seconds=WAIT_SECONDS)

    def begin(self) -> None:
        if self._relay is not None:
            self._relay.cut()
            return
        script = ("import sqlite3, sys\n"
                  "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                  "c.execute('BEGIN EXCLUSIVE')\n"
                  "print('locked', flush=True)\n"
                  "sys.stdin.readline()\n"
                  "c.execute('ROLLBACK')\n")
        self._holder = subprocess.Popen([sys.executable, "-c", script, str(self.path)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self._holder.stdout is not None
        assert self._holder.stdout.readline().strip() == "locked"

    def end(self) -> None:
        if self._relay is not None:
            self._relay.restore()
            return
        if self._holder is not None:
            self._holder.communicate("\n", timeout=10)
            self._holder = None

    def close(self) -> None:
        self.end()
        self.database.dispose()
        if self._relay is not None:
            self._relay.cut()
