"""The base of every schema a client fills in (an API request body, a page form read into the API's shape).

A field the schema does not know is refused (``extra_forbidden``, named in the 422's details) rather than
dropped: a misspelt ``citizen_phnoe`` would otherwise register an order without the phone its sender
believes it gave. Free text in such a schema is ``StorableText`` or ``RequiredText`` (``core.text``), so no
control character reaches a column.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class InputModel(BaseModel):
    """What a client sends: unknown fields refused."""

    model_config = ConfigDict(extra="forbid")
