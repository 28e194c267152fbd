"""E-mail over SMTP (stdlib smtplib), bounded by one deadline for the whole conversation.

smtplib's timeout applies to each socket operation, so a server answering slowly line by line
could hold the worker for many timeouts; the socket's timeout is therefore cut to what remains of
one overall budget before every command.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import format_datetime
from enum import StrEnum

from minhu.core import clock
from minhu.notify.senders.base import Delivery, SendError


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


class SmtpSender:
    def __init__(self, *, host: str, port: int, sender: str, security: SmtpSecurity = SmtpSecurity.NONE,
                 username: str = "", password: str = "", timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout

    def compose(self, message: Delivery) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Date"] = format_datetime(clock.now())
        # The same id on every retry: a mail system that already took the message can tell.
        domain = self.sender.rsplit("@", 1)[-1].strip(" >") or "minhu"
        mail["Message-ID"] = f"<{message.uid}@{domain}>"
        mail.set_content(message.body)
        return mail

    def send(self, message: Delivery) -> None:
        mail = self.compose(message)
        deadline = time.monotonic() + self.timeout

        def remaining() -> float:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SendError(f"SMTP 服务器 {self.host}:{self.port} 在 {self.timeout:g} 秒内未完成发送")
            return left

        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security is SmtpSecurity.SSL:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=remaining(), context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=remaining())
        try:
            def step() -> None:
                if smtp.sock is not None:
                    smtp.sock.settimeout(remaining())

            step()
            smtp.ehlo_or_helo_if_needed()
            if self.security is SmtpSecurity.STARTTLS:
                step()
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                step()
                smtp.login(self.username, self.password)
            step()
            smtp.send_message(mail)
        finally:
            try:
                if smtp.sock is not None:
                    smtp.sock.settimeout(min(1.0, max(deadline - time.monotonic(), 0.1)))
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
