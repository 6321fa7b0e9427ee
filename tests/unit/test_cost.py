"""Pricing a case: the price file, billed Lambda duration, the goal arithmetic."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from cli.cost import REQUIRED, PriceError, Usage, bill, gb_seconds, load_prices
from local.adapter import Call


def call(step: str, trigger: str, ms: float, memory: int = 512) -> Call:
    return Call(f"fn-{step}", step, trigger, "", memory, 0.0, ms, False)


def usage(**overrides: object) -> Usage:
    fields: dict[str, object] = {
        "kind": "standard",
        "files": 2,
        "invocations": [call("intake", "POST /cases", 100), call("validate", "queue", 200, 1024)],
        "aws": Counter({("s3", "GetObject"): 4, ("s3", "PutObject"): 1, ("s3", "DeleteObject"): 1}),
        "dynamo_units": {"write": 10.0, "read": 4.5},
        "transitions": 8,
        "log_bytes": 2048,
        "uploaded_bytes": 1024**3,
        "report_bytes": 0,
        "sent_bytes": 0,
        "client_puts": 2,
        "client_gets": 3,
        "retention_days": {"uploads": 365, "reports": 3650},
    }
    fields.update(overrides)
    return Usage(**fields)  # type: ignore[arg-type]


def test_the_checked_in_price_file_has_every_price_with_its_source_date_and_basis() -> None:
    prices, document = load_prices()
    assert document["region"] == "eu-central-2"
    assert set(prices) == set(REQUIRED)
    for price in prices.values():
        assert (
            price.source.startswith("https://")
            and price.checked
            and price.basis in ("published", "assumption")
        )
        assert price.basis == "published" or price.note, (
            f"{price.key}: an assumption must say what it assumes"
        )


def test_a_price_file_without_a_price_is_refused_naming_it(tmp_path: Path) -> None:
    _, document = load_prices()
    del document["prices"]["kms_request"]
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document))
    with pytest.raises(PriceError, match="'kms_request' is missing"):
        load_prices(path)


def test_a_negative_price_is_refused(tmp_path: Path) -> None:
    _, document = load_prices()
    document["prices"]["sqs_request"]["usd"] = -1
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document))
    with pytest.raises(PriceError, match="sqs_request"):
        load_prices(path)


def test_lambda_is_billed_per_started_millisecond_times_memory() -> None:
    # 100.2 ms at 512 MB bills as 101 ms; 200 ms at 1024 MB as 200 ms
    assert gb_seconds([call("a", "t", 100.2), call("b", "t", 200, 1024)]) == pytest.approx(0.101 * 0.5 + 0.2)


def test_a_bill_prices_every_measured_count_once() -> None:
    prices, _ = load_prices()
    compute, retained = bill(usage(), prices)
    by_name = {i.what: i for i in compute}
    assert by_name["Lambda invocations"].quantity == 2
    assert by_name["Step Functions state transitions"].usd == pytest.approx(
        8 * prices["step_functions_transition"].each
    )
    assert by_name["API Gateway requests"].quantity == 1  # the queue invocation came through no API
    assert by_name["S3 PUT/COPY/POST/LIST"].quantity == 1 + 2  # the function's PUT and the patient's POSTs
    assert by_name["S3 GET/HEAD"].quantity == 4 + 3  # deletes are free
    assert by_name["SQS requests"].quantity == 3
    storage = {i.what: i for i in retained}
    assert storage["S3, uploads kept 365 days (GB-month)"].quantity == pytest.approx(365 / 30)
