"""What an operator sets for an environment: CDK context, validated at synth with clear errors.

The `secondopinion` context holds either one environment's settings, or several environments:

    "env": "dev",
    "secondopinion": {
      "region": "eu-central-2",                       <- shared by every environment
      "environments": {
        "dev":  {"sender_email": "no-reply@example.org"},
        "prod": {"sender_email": "reports@your-domain.ch", "ops_emails": ["ops@your-domain.ch"]}
      }
    }

`-c env=prod` chooses the environment (its name is the stack's suffix); an environment's own
settings win over the shared ones.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, model_validator

TableName = Literal["cases", "files", "assignments", "roster"]

PLACEHOLDER_DOMAINS = ("example.org", "example.com", "example.net")
"""Documentation domains (RFC 2606): a production sender or contact there reaches nobody."""


class DeploymentConfig(BaseModel):
    """One environment: every value an operator decides, with its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env_name: str = Field(default="dev", pattern=r"^[a-z][a-z0-9-]{1,15}$")
    production: bool | None = Field(
        default=None,
        description="Data outlives the stack and the contacts must be real; by default true for an "
        "env_name starting with 'prod'.",
    )
    region: str = Field(default="eu-central-2", pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
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
    ops_emails: tuple[EmailStr, ...] = Field(
        default=(), description="Subscribed to the ops topic: alarms and escalations."
    )

    # SLA tiers: the turnaround promised and the windows each radiologist gets inside it.
    sla_hours_standard: float = Field(default=72, gt=0)
    sla_hours_expedited: float = Field(default=24, gt=0)
    acceptance_hours_standard: float = Field(default=4, gt=0)
    acceptance_hours_expedited: float = Field(default=1, gt=0)
    review_hours_standard: float = Field(default=24, gt=0)
    review_hours_expedited: float = Field(default=8, gt=0)
    heartbeat_hours_standard: float = Field(default=6, gt=0)
    heartbeat_hours_expedited: float = Field(default=2, gt=0)

    # Escalation thresholds.
    max_attempts: int = Field(default=3, ge=1, le=10)
    sla_at_risk_fraction: float = Field(default=0.75, gt=0, lt=1)

    # Retention and the delivery link.
    upload_retention_days: int = Field(default=365, ge=1)
    abandoned_case_days: int = Field(default=30, ge=1, le=365)
    """A case opened (or returned to the patient) and not submitted within this many days is
    erased: its e-mail, symptoms and files are not kept for a request nobody finished."""
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
    restored_tables: dict[TableName, str] = Field(
        default_factory=dict,
        description="Tables restored from point-in-time recovery that the functions use instead of "
        "the stack's own (which stays, untouched): see docs/runbook.md.",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_contact_is_a_list_of_one(cls, data: Any) -> Any:
        """`ops_email` (one address, the earlier form) is read as `ops_emails` of one."""
        if isinstance(data, dict) and "ops_email" in data:
            data = dict(data)
            if "ops_emails" in data:
                raise ValueError("ops_email and ops_emails both given: list every contact in ops_emails")
            single = data.pop("ops_email")
            data["ops_emails"] = [] if single is None else [single]
        return data

    @model_validator(mode="after")
    def _tiers_fit_their_sla(self) -> DeploymentConfig:
        for tier in ("standard", "expedited"):
            sla, acceptance, review, heartbeat = (
                getattr(self, f"{what}_hours_{tier}") for what in ("sla", "acceptance", "review", "heartbeat")
            )
            if acceptance + review > sla:
                raise ValueError(
                    f"acceptance_hours_{tier} + review_hours_{tier} ({acceptance:g} + {review:g} h) must fit "
                    f"in sla_hours_{tier} ({sla:g} h): one radiologist's offer and read would outlast the SLA"
                )
            if heartbeat > review:
                raise ValueError(
                    f"heartbeat_hours_{tier} ({heartbeat:g} h) must not exceed "
                    f"review_hours_{tier} ({review:g} h)"
                )
        if self.sla_hours_expedited > self.sla_hours_standard:
            raise ValueError(
                f"sla_hours_expedited ({self.sla_hours_expedited:g} h) must not exceed sla_hours_standard "
                f"({self.sla_hours_standard:g} h)"
            )
        return self

    @model_validator(mode="after")
    def _sizes_and_lifetimes_agree(self) -> DeploymentConfig:
        if self.min_part_mib > self.multipart_threshold_mib:
            raise ValueError(
                f"min_part_mib ({self.min_part_mib}) must not exceed multipart_threshold_mib "
                f"({self.multipart_threshold_mib})"
            )
        if self.delivery_days > self.report_retention_days:
            raise ValueError(
                f"delivery_days ({self.delivery_days}) must not exceed report_retention_days "
                f"({self.report_retention_days}): the report would be deleted while its link is promised"
            )
        return self

    @model_validator(mode="after")
    def _production_reaches_real_people(self) -> DeploymentConfig:
        if not self.is_production:
            return self
        if not self.ops_emails:
            raise ValueError(
                f"environment '{self.env_name}' is production: set ops_emails, the people the alarms and "
                "escalations reach"
            )
        for key, address in (
            ("sender_email", self.sender_email),
            *(("ops_emails", a) for a in self.ops_emails),
        ):
            domain = address.rsplit("@", 1)[1].lower()
            if any(domain == d or domain.endswith(f".{d}") for d in PLACEHOLDER_DOMAINS):
                raise ValueError(
                    f"environment '{self.env_name}' is production: {key} {address} is a placeholder; "
                    "set an address of your own domain (the sender verified in SES)"
                )
        return self

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
        return self.production if self.production is not None else self.env_name.startswith("prod")


CONTEXT_KEY = "secondopinion"
ENV_KEY = "env"
"""The context key choosing one of several environments: `-c env=prod`."""


def _fail(message: str) -> SystemExit:
    return SystemExit(f"Invalid '{CONTEXT_KEY}' context in cdk.json or -c: {message}")


def _settings_of(raw: dict[str, Any], env: str | None) -> tuple[dict[str, Any], str]:
    """The chosen environment's settings (shared ones under its own) and where they came from."""
    if "environments" not in raw:
        if env is not None and env != raw.get("env_name", "dev"):
            raise _fail(
                f"it describes one environment ('{raw.get('env_name', 'dev')}'), not '{env}': put the "
                "environments under 'environments', or drop -c env"
            )
        return raw, CONTEXT_KEY
    environments = raw["environments"]
    if not isinstance(environments, dict) or not environments:
        raise _fail("'environments' must map each environment's name to its settings")
    names = ", ".join(sorted(environments))
    if env is None:
        if len(environments) > 1:
            raise _fail(f"several environments ({names}): choose one with -c {ENV_KEY}=NAME")
        env = next(iter(environments))
    if env not in environments:
        raise _fail(f"no environment '{env}' (there are: {names}); add it under 'environments'")
    own = environments[env] or {}
    if not isinstance(own, dict):
        raise _fail(f"environments.{env} must be an object of settings")
    if own.get("env_name", env) != env:
        raise _fail(f"environments.{env}.env_name must be '{env}' (the key names the environment)")
    shared = {k: v for k, v in raw.items() if k != "environments"}
    return {**shared, **own, "env_name": env}, f"{CONTEXT_KEY}.environments.{env}"


def from_context(raw: dict[str, Any] | str | None, env: str | None = None) -> DeploymentConfig:
    """Validate the operator's context; a mistake fails the synth with the key and the rule.

    `-c secondopinion='{...}'` on the command line arrives as a JSON string; `env` is the `env`
    context (`-c env=NAME`) choosing one of several environments."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise SystemExit(f"The '{CONTEXT_KEY}' context must be a JSON object.") from None
    if raw is not None and not isinstance(raw, dict):
        raise SystemExit(f"The '{CONTEXT_KEY}' context must be a JSON object.")
    settings, where = _settings_of(raw or {}, env)
    try:
        return DeploymentConfig.model_validate(settings)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
            for e in error.errors()
        )
        raise SystemExit(f"Invalid '{where}' context in cdk.json or -c: {problems}") from None
