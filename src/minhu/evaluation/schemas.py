"""What the evaluation pages take in: a reviewer's callback and a citizen's online rating."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from minhu.core.text import StorableText
from minhu.orders.enums import Resolution, Satisfaction

MAX_COMMENT_CHARS = 500


class RatingAnswer(BaseModel):
    """The two questions of 一事一评, and what else the citizen wants to say."""

    model_config = ConfigDict(extra="forbid")

    resolution: Resolution
    satisfaction: Satisfaction
    comment: Annotated[StorableText, Field(max_length=MAX_COMMENT_CHARS)] = ""
