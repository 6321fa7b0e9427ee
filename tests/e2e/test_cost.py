"""`secondopinion cost`'s measurement of one case on the local stack."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cli.client import Api
from cli.cost import GOAL_USD, bill, load_prices, measure
from cli.scenario import Radiologists
from local import cloud, metering, telemetry
from local.system import LocalSystem

from .conftest import staff_token


def test_a_standard_case_is_measured_step_by_step_and_costs_less_than_a_cent(
    system: LocalSystem, api: Api, tmp_path: Path
) -> None:
    # Given the functions' AWS calls metered and their output captured
    meter = metering.Meter(cloud.ACCOUNT, system.region).install()
    staff = {r: staff_token(system, r) for r in ("rad-body-1", "rad-body-2", "rad-chest-1")}
    try:
        with telemetry.capture(echo=False) as captured, Radiologists(api, staff, poll=0.3, fetch_images=True):
            # When a standard case of two files runs from request to download
            usage = measure(system, api, meter, captured, "standard", 2, tmp_path)
    finally:
        meter.uninstall()

    # Then each step's work is counted: one read, no retries, one e-mail, the token kept encrypted
    # ConsensusRead?, Assign, ReadingCarriedOver? (no: a first run), 2 waits, OneReader,
    # StartTranslation, AssignTranslation (none needed), TranslationNeeded?, Report, Deliver, Delivered
    assert usage.transitions == 12
    steps = Counter(c.step for c in usage.invocations)
    assert steps["report"] == 1 and steps["validate"] >= 2 and steps["assign"] >= 5
    assert usage.count("sesv2", {"SendEmail"}) == 1
    assert usage.count("kms") >= 4  # two task tokens encrypted and decrypted
    assert usage.dynamo_units["write"] > 0 and usage.dynamo_units["read"] > 0
    assert usage.log_bytes > 0 and usage.report_bytes > 0
    assert usage.retention_days == {"uploads": 365, "reports": 3650}  # the buckets' lifecycle rules
    assert all(not c.trigger.startswith(("watch", "GET /worklist")) for c in usage.invocations)
    # and its compute and requests are priced under the goal
    compute, _ = bill(usage, load_prices()[0])
    assert 0 < sum(i.usd for i in compute) < GOAL_USD
