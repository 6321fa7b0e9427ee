"""The functions' log lines: sensitive values masked at any depth, ids and codes kept, the SDK's
debug lines off, validation errors without the refused values; the metrics helpers' EMF."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools import Logger, Metrics
from pydantic import ValidationError
from secondopinion import masking, measures, observability
from secondopinion.models import CaseRequest

SECRET = "zqxsecret"


def written(logger: Logger, emit: Any) -> list[dict[str, Any]]:
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        emit()
    finally:
        logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_sensitive_values_are_masked_at_any_depth_and_ids_are_kept() -> None:
    # Given a record with sensitive keys nested in dicts and lists, in several spellings
    record = {
        "case_id": "c1",
        "Email": f"{SECRET}@example.org",
        "request": {"Authorization": f"Bearer {SECRET}", "files": [{"file_id": "f1", "name": SECRET}]},
        "x-amz-security-token": SECRET,
        "reason": "not_dicom",
    }

    # When it is masked
    masked = masking.mask(record)

    # Then no value under a sensitive key survives, and the ids and codes do
    assert SECRET not in json.dumps(masked)
    assert masked["Email"] == masking.MASK
    assert masked["request"]["files"] == [{"file_id": "f1", "name": masking.MASK}]
    assert (masked["case_id"], masked["reason"]) == ("c1", "not_dicom")


def test_a_logged_model_is_masked_field_by_field() -> None:
    request = CaseRequest(
        tier="standard",
        language="de",
        email=f"{SECRET}@radiologie-beispiel.ch",
        symptoms=f"Kopfschmerzen {SECRET}",
        questions=[f"Ist {SECRET} gefährlich?"],
        consent=True,
    )
    masked = masking.mask({"request": request})
    assert SECRET not in json.dumps(masked)
    assert masked["request"]["tier"] == "standard"


def test_a_log_call_with_sensitive_extra_keys_writes_them_masked() -> None:
    # Given the functions' logger / When a line is logged with health data under its keys
    logger = observability.logger("masking-extra")
    out = written(
        logger,
        lambda: logger.info(
            "case opened", extra={"case_id": "c1", "symptoms": SECRET, "questions": [SECRET]}
        ),
    )

    # Then the line is there, with its id, and without the values
    (line,) = out
    assert (line["message"], line["case_id"], line["symptoms"]) == ("case opened", "c1", masking.MASK)
    assert SECRET not in json.dumps(line)


def test_an_appended_token_and_a_logged_event_are_masked() -> None:
    logger = observability.logger("masking-event")

    def emit() -> None:
        logger.append_keys(access_token=SECRET)
        logger.info(
            {"path": "/cases", "headers": {"Authorization": SECRET}, "body": json.dumps({"e": SECRET})}
        )
        logger.remove_keys(["access_token"])

    (line,) = written(logger, emit)
    assert SECRET not in json.dumps(line)
    assert line["message"]["path"] == "/cases"


def test_a_failed_invocation_is_logged_by_its_exception_s_type_and_raised_on() -> None:
    # Given a handler that fails with a message quoting what it read
    logger = observability.logger("masking-failure")

    @masking.failures_logged(logger)
    def handler(event: dict[str, Any], context: Any) -> None:
        logger.append_keys(case_id="c1")
        raise ValueError(f"cannot parse {SECRET}")

    # When it is called / Then the exception goes on to Lambda, and the line names only its type
    def call() -> None:
        with pytest.raises(ValueError):
            handler({}, None)

    (line,) = written(logger, call)
    assert (line["message"], line["case_id"], line["exception_name"]) == (
        "invocation failed",
        "c1",
        "ValueError",
    )
    assert SECRET not in json.dumps(line)


def test_the_sdk_logs_nothing_below_warning_even_at_debug_level() -> None:
    # Given a function's logger created and the root logger at DEBUG (an operator's debug switch)
    observability.logger("masking-sdk")
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.DEBUG)
    try:
        # Then botocore's request dumps are not emitted
        for library in masking.QUIET_LIBRARIES:
            assert not logging.getLogger(f"{library}.endpoint").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(saved)


def test_a_contract_validation_error_does_not_quote_the_refused_value() -> None:
    with pytest.raises(ValidationError) as refused:
        CaseRequest.model_validate({"tier": SECRET, "email": SECRET, "symptoms": SECRET, "consent": True})
    assert SECRET not in str(refused.value)
    assert "tier" in str(refused.value)


# --- metrics helpers ----------------------------------------------------------------------------


def emf(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]


def test_a_duration_is_written_in_seconds_with_the_service_dimension(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a function's metrics and a start 90 s before the end
    metrics = Metrics(namespace=observability.NAMESPACE, service="unit")
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)

    # When the duration is recorded and the metrics flushed
    measures.seconds(metrics, "TimeToAccept", start, start + timedelta(seconds=90))
    metrics.flush_metrics()

    # Then one EMF blob holds it, in seconds, under the service dimension
    (blob,) = emf(capsys)
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Metrics"] == [{"Name": "TimeToAccept", "Unit": "Seconds"}]
    assert directive["Dimensions"] == [["service"]]
    assert (blob["TimeToAccept"], blob["service"]) == ([90.0], "unit")


def test_a_duration_without_a_start_or_without_metrics_is_not_recorded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = Metrics(namespace=observability.NAMESPACE, service="unit")
    measures.seconds(metrics, "TimeToReport", None, datetime.now(UTC))
    measures.seconds(None, "TimeToReport", datetime.now(UTC), datetime.now(UTC))
    metrics.flush_metrics()
    assert emf(capsys) == []


def test_a_metric_with_its_own_dimensions_is_written_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    measures.with_dimensions("validate", "FilesRejected", 1, reason="not_dicom")
    (blob,) = emf(capsys)
    assert blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "reason"]]
    assert (blob["service"], blob["reason"], blob["FilesRejected"]) == ("validate", "not_dicom", [1.0])
