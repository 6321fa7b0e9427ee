"""Intake's settings, read once at cold start."""

from __future__ import annotations

from functools import cache

from secondopinion.settings import BaseFunctionSettings


class IntakeSettings(BaseFunctionSettings):
    state_machine_arn: str
    sla_hours_standard: float = 72
    sla_hours_expedited: float = 24
    review_hours_standard: float = 24
    """How long one radiologist has for a read before the case is reassigned."""
    review_hours_expedited: float = 8
    acceptance_hours_standard: float = 4
    """How long an offer waits for the radiologist to accept it."""
    acceptance_hours_expedited: float = 1
    heartbeat_hours_standard: float = 6
    """Silence during a read after which it counts as abandoned (the workstation beats while open)."""
    heartbeat_hours_expedited: float = 2
    report_margin_hours: float = 1
    """Kept between the end of the read and the deadline, for the report and its delivery."""
    queue_retry_hours: float = 0.25
    """Pause before the next try when no radiologist is available."""
    max_attempts: int = 3
    """Review attempts after which the case is escalated to ops (it keeps moving)."""
    upload_expiry_seconds: int = 900
    max_files_per_case: int = 5000
    max_case_bytes: int = 20 * 1024**3
    max_file_bytes: int = 5 * 1024**3
    multipart_threshold_bytes: int = 100 * 1024**2
    """Files above this size go up as a multipart upload (parts on demand, retried one by one)."""
    min_part_bytes: int = 16 * 1024**2
    abandoned_case_days: float = 30
    """A case not submitted this long after it was opened (or returned to the patient) is erased."""


@cache
def get_settings() -> IntakeSettings:
    return IntakeSettings()  # type: ignore[call-arg]
