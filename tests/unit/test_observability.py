"""The functions' tracer: X-Ray gets annotations, never a handler's response or exception."""

from __future__ import annotations

from typing import Any

import pytest
from secondopinion import observability

from local.telemetry import RecordingProvider, Telemetry


@pytest.fixture
def recorded() -> tuple[Any, Telemetry]:
    telemetry = Telemetry()
    tracer = observability.tracer("unit")
    tracer.provider = RecordingProvider(telemetry)
    return tracer, telemetry


def test_a_traced_handler_records_no_response(recorded: tuple[Any, Telemetry]) -> None:
    tracer, telemetry = recorded

    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"symptoms": "a secret headache"}

    assert handler({}, None) == {"symptoms": "a secret headache"}
    assert telemetry.traces  # the annotations are there
    assert not any("secret" in t for t in telemetry.traces)


def test_a_traced_handler_records_no_exception(recorded: tuple[Any, Telemetry]) -> None:
    tracer, telemetry = recorded

    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> None:
        raise ValueError("input was a secret headache")

    with pytest.raises(ValueError):
        handler({}, None)
    assert not any("secret" in t for t in telemetry.traces)


def test_a_traced_method_records_no_return_value(recorded: tuple[Any, Telemetry]) -> None:
    tracer, telemetry = recorded

    @tracer.capture_method
    def lookup() -> str:
        return "a secret headache"

    assert lookup() == "a secret headache"
    assert not any("secret" in t for t in telemetry.traces)
