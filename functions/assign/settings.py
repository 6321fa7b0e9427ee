"""Assign's settings, read once at cold start."""

from __future__ import annotations

from functools import cache

from pydantic import Field, model_validator
from secondopinion.models import TranslatorName
from secondopinion.settings import BaseFunctionSettings
from secondopinion.sla import AT_RISK_FRACTION


class AssignSettings(BaseFunctionSettings):
    ops_topic_arn: str
    sla_at_risk_fraction: float = Field(default=AT_RISK_FRACTION, gt=0, lt=1)
    """Share of a case's SLA elapsed after which ops are told it is at risk."""
    image_link_seconds: int = 300
    """Lifetime of the presigned links to a case's files in the assignment view."""
    translator: TranslatorName = "none"
    """Who drafts the translation of a reading in another language than the patient's."""
    translate_region: str | None = None
    """Where Amazon Translate is called, when it is the translator (it is not in eu-central-2)."""

    @model_validator(mode="after")
    def _translator_has_a_region(self) -> AssignSettings:
        if self.translator == "amazon-translate" and not self.translate_region:
            raise ValueError("TRANSLATOR=amazon-translate needs TRANSLATE_REGION")
        return self


@cache
def get_settings() -> AssignSettings:
    return AssignSettings()  # type: ignore[call-arg]
