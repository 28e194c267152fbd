"""Pydantic I/O of evaluation: the reply quality as the API returns it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from minhu.evaluation.reply_quality import Grade, ReplyQuality


class CriterionRead(BaseModel):
    key: str = Field(description="relevance | completeness | timeliness | tone")
    label: str
    score: int | None = Field(description="0–100; null when it could not be judged (it then carries no weight)")
    weight: float
    reasons: list[str]


class MissingPartRead(BaseModel):
    key: str = Field(description="finding | action | basis | result | contact")
    label: str
    hint: str


class ReplyQualityRead(BaseModel):
    number: str
    score: int = Field(ge=0, le=100)
    grade: Grade
    grade_label: str = Field(description="优 / 良 / 中 / 差")
    says_nothing: bool = Field(description="the reply is stock phrases without facts")
    criteria: list[CriterionRead]
    missing: list[MissingPartRead]


def reply_quality_read(number: str, quality: ReplyQuality) -> ReplyQualityRead:
    return ReplyQualityRead(
        number=number, score=quality.score, grade=quality.grade, grade_label=quality.grade_label,
        says_nothing=quality.says_nothing,
        criteria=[CriterionRead(key=c.key, label=c.label, score=None if c.score is None else round(c.score),
                                weight=c.weight, reasons=list(c.reasons)) for c in quality.criteria],
        missing=[MissingPartRead(key=m.key, label=m.label, hint=m.hint) for m in quality.missing])
