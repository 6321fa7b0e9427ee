"""Deliver's settings, read once at cold start."""

from __future__ import annotations

from functools import cache

from secondopinion.settings import BaseFunctionSettings


class DeliverSettings(BaseFunctionSettings):
    sender_email: str
    portal_url: str
    """Where the patient's report page lives; the e-mail links there, never to the file."""
    download_link_seconds: int = 300
    """How long one minted download URL works."""
    delivery_days: int = 30
    """How long after delivery the report can still be downloaded."""
    upload_retention_days: int = 365
    report_retention_days: int = 3650
    """The buckets' lifecycle expirations, told to the patient in the delivery e-mail."""
    code_valid_seconds: int = 600
    code_max_attempts: int = 5
    """Wrong tries after which a one-time code is burnt."""
    code_max_failures: int = 20
    """Wrong codes over the case's life after which only the access token opens the report."""
    code_resend_seconds: int = 60
    """The least time between two codes, so that nobody can flood the patient's inbox."""


@cache
def get_settings() -> DeliverSettings:
    return DeliverSettings()  # type: ignore[call-arg]
