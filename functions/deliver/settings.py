"""Deliver's settings, read once at cold start."""

from __future__ import annotations

from functools import cache

from secondopinion.settings import BaseFunctionSettings


class DeliverSettings(BaseFunctionSettings):
    sender_email: str
    portal_url: str
    """Where the patient's report page lives; the e-mail links there, never to the file."""
    download_link_seconds: int = 300
    delivery_days: int = 30
    """How long after delivery the report can still be downloaded."""


@cache
def get_settings() -> DeliverSettings:
    return DeliverSettings()  # type: ignore[call-arg]
