"""The tracking link a citizen keeps: ``/public/track/{number}/{code}``.

Order numbers are sequential, so a number alone must not open an order. The code is a keyed signature of the
number (HMAC-SHA256 with the deployment's secret key, 80 bits shown): it cannot be walked or derived, and needs
no table. Changing the secret key ends every link given before; citizens can still follow an order by its number
and the last four digits of their phone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

CODE_LENGTH = 16


def code_for(number: str, secret: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"track:{number}".encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii")[:CODE_LENGTH].lower()


def link(number: str, secret: str) -> str:
    return f"/public/track/{number}/{code_for(number, secret)}"


def matches(number: str, code: str, secret: str) -> bool:
    return code.isascii() and hmac.compare_digest(code_for(number, secret), code.strip().lower())
