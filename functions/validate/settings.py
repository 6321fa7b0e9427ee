"""Validate's settings, read once at cold start."""

from __future__ import annotations

from functools import cache

from secondopinion.settings import BaseFunctionSettings


class ValidateSettings(BaseFunctionSettings):
    max_file_bytes: int = 5 * 1024**3


@cache
def get_settings() -> ValidateSettings:
    return ValidateSettings()  # type: ignore[call-arg]
