"""Handlers the adapter test routes moto's invocations to."""

from __future__ import annotations

from typing import Any


class NoRadiologistAvailable(Exception):
    pass


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"got": event, "function": context.function_name}


def fail(event: dict[str, Any], context: Any) -> None:
    raise NoRadiologistAvailable("nobody free")


RAN: list[dict[str, Any]] = []
"""Events `remember` was called with (test material: shows that a handler ran)."""


def remember(event: dict[str, Any], context: Any) -> dict[str, Any]:
    RAN.append(event)
    return {"ok": True}
