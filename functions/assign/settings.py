"""Assign's settings, read once at cold start."""

from __future__ import annotations

from functools import cache

from secondopinion.settings import BaseFunctionSettings


class AssignSettings(BaseFunctionSettings):
    ops_topic_arn: str
    image_link_seconds: int = 300
    """Lifetime of the presigned links to a case's files in the assignment view."""


@cache
def get_settings() -> AssignSettings:
    return AssignSettings()  # type: ignore[call-arg]
