"""Real servers on 127.0.0.1 for the senders to talk to: an SMTP server (aiosmtpd), SMTP servers that
refuse, hang or hang up, and an HTTP receiver that checks signatures and counts what it was given."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from minhu.notify.senders import signature_matches

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self.catcher = catcher

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.catcher.refuse:
            return self.catcher.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.catcher.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class MailCatcher:
    """aiosmtpd on a free loopback port; ``received`` holds the parsed messages. ``refuse`` (e.g.
    "550 5.1.1 mailbox unavailable") makes it refuse every recipient."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.received: list[EmailMessage] = []
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname=HOST, port=self.port)

    def __enter__(self) -> MailCatcher:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class _RawServer:
    """A loopback TCP server running ``serve(connection)`` for each client on its own thread."""

    def __init__(self) -> None:
        self.listener = socket.create_server((HOST, 0))
        self.port = int(self.listener.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._open.append(connection)
            threading.Thread(target=self._serve_safely, args=(connection,), daemon=True).start()

    def _serve_safely(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.serve(connection)

    def serve(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def __enter__(self) -> _RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.listener.close()
        for connection in self._open:
            connection.close()


class HangingSmtpServer(_RawServer):
    """Accepts the connection and never says a word."""

    def serve(self, connection: socket.socket) -> None:
        self._stop.wait()


class VanishingSmtpServer(_RawServer):
    """Speaks SMTP up to the end of the message, then hangs up without answering it — the first
    ``vanish`` times; afterwards it accepts messages (``accepted`` holds their raw text)."""

    def __init__(self, vanish: int) -> None:
        super().__init__()
        self.vanish = vanish
        self.vanished = 0
        self.accepted: list[bytes] = []

    def serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")

        def say(line: str) -> None:
            connection.sendall(line.encode() + b"\r\n")

        say("220 vanishing ESMTP")
        while True:
            line = reader.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                say("250 vanishing")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                say("250 OK")
            elif verb == b"DATA":
                say("354 go ahead")
                content = b"".join(iter(lambda: reader.readline(), b".\r\n"))
                if self.vanished < self.vanish:
                    self.vanished += 1
                    connection.shutdown(socket.SHUT_RDWR)
                    connection.close()
                    return
                self.accepted.append(content)
                say("250 accepted")
            elif verb == b"QUIT":
                say("221 bye")
                return
            else:
                say("502 unknown")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool

    @property
    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document


@dataclass
class HttpReceiver:
    """An HTTP server on a free loopback port that records every POST, checks its signature against
    ``secret`` and answers ``status``; it remembers ids, so a repeat is visible in ``distinct_ids``."""

    secret: str
    status: int = 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                signed = signature_matches(receiver.secret, body, self.headers.get("X-Minhu-Signature"))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    receiver.received.append(Received(self.path, headers, body, signed))
                self.send_response(receiver.status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "accepted"}' if receiver.status < 300 else b'{"error": "broken"}')

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}/sms"

    @property
    def ids(self) -> list[str]:
        return [r.json["id"] for r in self.received]

    def __enter__(self) -> HttpReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
