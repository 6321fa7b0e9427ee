"""Report's settings, read once at cold start."""

from __future__ import annotations

from functools import cache

from secondopinion.settings import BaseFunctionSettings


class ReportSettings(BaseFunctionSettings):
    pass


@cache
def get_settings() -> ReportSettings:
    return ReportSettings()  # type: ignore[call-arg]
