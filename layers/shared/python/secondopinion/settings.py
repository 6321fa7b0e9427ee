"""Settings read once from the environment at cold start.

Each function declares the fields it needs by subclassing `BaseFunctionSettings`; logic receives
the settings object and never reads os.environ itself.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class BaseFunctionSettings(BaseSettings):
    """Resource names every function knows, injected by the CDK function factory."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    cases_table: str
    files_table: str
    assignments_table: str
    roster_table: str
    uploads_bucket: str
    reports_bucket: str
    kms_key_id: str
    time_scale: float = 1.0
    """Divides every SLA duration; 1 in AWS, larger in the local stack to compress time."""

    def scaled_seconds(self, hours: float) -> int:
        """A duration of `hours` as whole seconds after the time scale, at least one."""
        return max(1, int(hours * 3600 / self.time_scale))
