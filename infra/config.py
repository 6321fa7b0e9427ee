"""What an operator sets for an environment: CDK context, validated at synth with clear errors."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, model_validator


class DeploymentConfig(BaseModel):
    """Read from `cdk.json` context (or `-c key=value`), one value per operator decision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env_name: str = Field(default="dev", pattern=r"^[a-z][a-z0-9-]{1,15}$")
    region: str = "eu-central-2"
    sender_email: EmailStr = "no-reply@example.org"
    portal_url: str | None = Field(
        default=None,
        pattern=r"^https://[^/]+$",
        description="The pages' address if a custom domain points at the CloudFront distribution; "
        "by default the distribution's own https address.",
    )
    cognito_domain: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
        description="Prefix of the staff sign-in domain (<prefix>.auth.<region>.amazoncognito.com), "
        "unique in the region; by default secondopinion-<env_name>-<account>.",
    )
    ops_email: EmailStr | None = None
    sla_hours_standard: float = Field(default=72, gt=0)
    sla_hours_expedited: float = Field(default=24, gt=0)
    review_hours_standard: float = Field(default=24, gt=0)
    review_hours_expedited: float = Field(default=8, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=10)
    upload_retention_days: int = Field(default=365, ge=1)
    report_retention_days: int = Field(default=3650, ge=1)
    delivery_days: int = Field(default=30, ge=1, le=365)
    download_link_seconds: int = Field(default=300, ge=30, le=3600)
    log_retention_days: int = Field(default=365, ge=1)
    allowed_origins: list[str] | None = Field(
        default=None, description="Browser origins the API and the buckets answer; by default the portal's."
    )
    multipart_threshold_mib: int = Field(default=100, ge=5, le=5 * 1024)
    min_part_mib: int = Field(default=16, ge=5, le=5 * 1024)
    translator: Literal["none", "amazon-translate"] = "none"
    """Who drafts a translation: nobody (a bilingual radiologist writes it) or Amazon Translate."""
    translate_region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
    """Where Amazon Translate is called: it is not offered in eu-central-2."""
    acknowledge_cross_border_translation: bool = False
    """The operator confirms that readings (health data) may go to Amazon Translate in translate_region."""

    @model_validator(mode="after")
    def _translation_is_a_deliberate_choice(self) -> DeploymentConfig:
        if self.translator == "none":
            if self.translate_region or self.acknowledge_cross_border_translation:
                raise ValueError(
                    "translate_region and acknowledge_cross_border_translation only apply with "
                    "translator 'amazon-translate'"
                )
            return self
        if not self.translate_region:
            raise ValueError(
                "translator 'amazon-translate' needs translate_region, a region that offers Amazon "
                "Translate (it is not offered in eu-central-2)"
            )
        if not self.acknowledge_cross_border_translation:
            raise ValueError(
                f"translator 'amazon-translate' sends the radiologists' readings, health data, to "
                f"Amazon Translate in {self.translate_region}, outside {self.region}: set "
                "acknowledge_cross_border_translation to true to confirm this choice (see the README)"
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.env_name.startswith("prod")


CONTEXT_KEY = "secondopinion"


def from_context(raw: dict[str, Any] | str | None) -> DeploymentConfig:
    """Validate the operator's context; a mistake fails the synth with the key and the rule.

    `-c secondopinion='{...}'` on the command line arrives as a JSON string."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise SystemExit(f"The '{CONTEXT_KEY}' context must be a JSON object.") from None
    try:
        return DeploymentConfig.model_validate(raw or {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
            for e in error.errors()
        )
        raise SystemExit(f"Invalid '{CONTEXT_KEY}' context in cdk.json or -c: {problems}") from None
