"""What an operator sets for an environment: CDK context, validated at synth with clear errors."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError


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
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise SystemExit(f"Invalid '{CONTEXT_KEY}' context in cdk.json or -c: {problems}") from None
