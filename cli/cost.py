"""`secondopinion cost`: what one case costs in AWS, from a run on the local stack.

One standard, one expedited and one consensus case run through the local stack (the patient
uploads a series of real DICOM objects, the radiologists open every image and report, the patient
downloads the report). What they used is measured: Lambda invocations with their duration and
the memory the template gives each function, the state transitions in the execution's history,
API requests, the functions' S3, DynamoDB (request units), KMS, SES and SNS requests (metered
in the process, see local/metering.py), queue messages, log and trace volume, and the bytes
stored and sent out. A price file (cli/data/prices-eu-central-2.json) turns that into dollars.

What is not per case is left out and said so: the DeadlineWatch schedule and the radiologists'
worklist polling (shown as a monthly figure), alarms, keys, the firewall's fixed fee, idle polling
of the queue. Durations are this machine's, with moto serving every AWS call in the same process,
so they overstate what Graviton in AWS would take.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import requests
from secondopinion.store import AssignmentStore

from local import cloud, metering, telemetry, tokens
from local.adapter import Call, Running
from local.metering import AwsCall
from local.reconcile import execution_arn
from local.system import LocalSystem

from .client import Api, wait_for
from .scenario import CaseSpec, Radiologists, open_case, write_series

GOAL_USD = 0.01
"""Compute and requests per standard case."""
KINDS: dict[str, dict[str, Any]] = {
    "standard": {"tier": "standard"},
    "expedited": {"tier": "expedited"},
    "consensus": {"tier": "standard", "consensus": True},
}
NOT_PER_CASE = ("watch", "GET /worklist", "GET /ops/", "PUT /ops/")
"""Invocations that run whether or not a case does: the deadline watch, the radiologists'
workstations polling their worklists, ops looking around."""
PLATFORM_LOG_BYTES = 500
"""Lambda's own platform.start and platform.report lines per invocation in JSON format (an
estimate: about 500 bytes together)."""
SQS_REQUESTS_PER_MESSAGE = 3
"""S3's SendMessage, the poller's ReceiveMessage and DeleteMessage: one each per upload event when
messages arrive one at a time (batches of up to 10 share the last two)."""
WATCHES_PER_MONTH = 30 * 24 * 60 // 5
REQUIRED = (
    "lambda_request",
    "lambda_arm_gb_second",
    "step_functions_transition",
    "api_gateway_rest_request",
    "waf_request",
    "s3_put_request",
    "s3_get_request",
    "dynamodb_write_request_unit",
    "dynamodb_read_request_unit",
    "kms_request",
    "ses_message",
    "sqs_request",
    "sns_publish",
    "cloudwatch_logs_ingested_gb",
    "xray_trace_recorded",
    "s3_storage_gb_month",
    "data_transfer_out_gb",
)
S3_PUT_CLASS = {
    "PutObject",
    "CopyObject",
    "CreateMultipartUpload",
    "UploadPart",
    "UploadPartCopy",
    "CompleteMultipartUpload",
    "ListObjectsV2",
    "ListObjectVersions",
    "ListMultipartUploads",
}
S3_FREE = {"DeleteObject", "DeleteObjects", "AbortMultipartUpload"}
DYNAMO_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}
GB = 1024**3


class PriceError(Exception):
    """The price file is missing a price or has one that makes no sense; the message names it."""


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    per: float
    unit: str
    source: str
    checked: str
    basis: str
    note: str = ""

    @property
    def each(self) -> float:
        return self.usd / self.per


def load_prices(path: Path | None = None) -> tuple[dict[str, Price], dict[str, Any]]:
    """The prices of a price file (the checked-in one by default), checked for every key needed."""
    text = (
        path.read_text()
        if path
        else resources.files("cli").joinpath("data/prices-eu-central-2.json").read_text()
    )
    document = json.loads(text)
    prices = {}
    for key in REQUIRED:
        entry = document.get("prices", {}).get(key)
        if entry is None:
            raise PriceError(f"price {key!r} is missing from {path or 'the price file'}")
        try:
            price = Price(key=key, **entry)
        except TypeError as error:
            raise PriceError(f"price {key!r}: {error}") from None
        if price.usd < 0 or price.per <= 0 or price.basis not in ("published", "assumption"):
            raise PriceError(f"price {key!r}: usd >= 0, per > 0 and basis published or assumption, please")
        prices[key] = price
    return prices, document


@dataclass
class Usage:
    """What one case used, as measured on the local stack."""

    kind: str
    files: int
    invocations: list[Call]
    aws: Counter[tuple[str, str]]
    dynamo_units: dict[str, float]
    transitions: int
    log_bytes: int
    uploaded_bytes: int
    report_bytes: int
    sent_bytes: int
    client_puts: int
    """The patient's presigned POSTs (one per file): PUT-class requests."""
    client_gets: int
    """The viewers' presigned GETs of every file, and the patient's download of the report."""
    retention_days: dict[str, int] = field(default_factory=lambda: {"uploads": 0, "reports": 0})
    """How long the buckets' lifecycle rules keep uploads and reports (from the template)."""
    not_per_case: Counter[str] = field(default_factory=Counter)

    @property
    def api_requests(self) -> int:
        return sum(1 for c in self.invocations if " " in c.trigger)

    @property
    def queue_messages(self) -> int:
        return sum(1 for c in self.invocations if c.trigger == "queue")

    def count(self, service: str, operations: set[str] | None = None) -> int:
        return sum(
            n for (s, op), n in self.aws.items() if s == service and (operations is None or op in operations)
        )


@dataclass(frozen=True)
class Item:
    what: str
    quantity: float
    price: Price

    @property
    def usd(self) -> float:
        return self.quantity * self.price.each


def _per_case(trigger: str) -> bool:
    return not trigger.startswith(NOT_PER_CASE)


def _of_case(running: Running | Call | AwsCall | None, subjects: set[str]) -> bool:
    """Work done for this case: about it (or one of its assignments), or about no case at all
    (opening it) and not of the kind that runs whether or not a case does."""
    return running is not None and _per_case(running.trigger) and running.subject in subjects | {""}


def gb_seconds(calls: list[Call]) -> float:
    """Billed duration (whole milliseconds, rounded up) times configured memory."""
    return sum(math.ceil(c.duration_ms) / 1000 * c.memory_mb / 1024 for c in calls)


def bill(usage: Usage, prices: dict[str, Price]) -> tuple[list[Item], list[Item]]:
    """(compute and requests, storage and transfer) of one case."""
    p = prices
    s3_get = usage.count("s3") - usage.count("s3", S3_PUT_CLASS) - usage.count("s3", S3_FREE)
    traces = usage.api_requests + usage.queue_messages + 1  # a trace per request, message, execution
    compute = [
        Item("Lambda invocations", len(usage.invocations), p["lambda_request"]),
        Item("Lambda compute (arm64)", gb_seconds(usage.invocations), p["lambda_arm_gb_second"]),
        Item("Step Functions state transitions", usage.transitions, p["step_functions_transition"]),
        Item("API Gateway requests", usage.api_requests, p["api_gateway_rest_request"]),
        Item("WAF inspected requests", usage.api_requests, p["waf_request"]),
        Item(
            "S3 PUT/COPY/POST/LIST", usage.count("s3", S3_PUT_CLASS) + usage.client_puts, p["s3_put_request"]
        ),
        Item("S3 GET/HEAD", s3_get + usage.client_gets, p["s3_get_request"]),
        Item("DynamoDB write request units", usage.dynamo_units["write"], p["dynamodb_write_request_unit"]),
        Item("DynamoDB read request units", usage.dynamo_units["read"], p["dynamodb_read_request_unit"]),
        Item("KMS requests", usage.count("kms"), p["kms_request"]),
        Item("SES e-mails", usage.count("sesv2", {"SendEmail"}), p["ses_message"]),
        Item("SNS publishes (ops alerts)", usage.count("sns", {"Publish"}), p["sns_publish"]),
        Item("SQS requests", usage.queue_messages * SQS_REQUESTS_PER_MESSAGE, p["sqs_request"]),
        Item("CloudWatch Logs ingested (GB)", usage.log_bytes / GB, p["cloudwatch_logs_ingested_gb"]),
        Item("X-Ray traces", traces, p["xray_trace_recorded"]),
    ]
    uploads, report = usage.retention_days["uploads"], usage.retention_days["reports"]
    retained = [
        Item(
            f"S3, uploads kept {uploads} days (GB-month)",
            usage.uploaded_bytes / GB * uploads / 30,
            p["s3_storage_gb_month"],
        ),
        Item(
            f"S3, report kept {report} days (GB-month)",
            usage.report_bytes / GB * report / 30,
            p["s3_storage_gb_month"],
        ),
        Item("data out to the internet (GB)", usage.sent_bytes / GB, p["data_transfer_out_gb"]),
    ]
    return compute, retained


# --- measuring on the local stack ------------------------------------------------------------------


def _transitions_and_log_bytes(system: LocalSystem, case_id: str) -> tuple[int, int]:
    """State transitions (each state entered, each retry of a task), and the size of the
    execution's log events (level ALL, without execution data) from its history."""
    sfn = system.session.client("stepfunctions")
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn(system, case_id)
    ):
        events += page["events"]
    entered = sum(1 for e in events if e["type"].endswith("StateEntered"))
    tasks = sum(1 for e in events if e["type"] == "TaskStateEntered")
    scheduled = sum(1 for e in events if e["type"] == "TaskScheduled")
    size = 0
    for event in events:
        lean = {
            k: (
                {n: v for n, v in d.items() if n not in ("input", "output", "parameters")}
                if isinstance(d, dict)
                else d
            )
            for k, d in event.items()
        }
        size += len(json.dumps(lean, default=str))
    return entered + max(0, scheduled - tasks), size


def measure(
    system: LocalSystem,
    api: Api,
    meter: metering.Meter,
    captured: telemetry.Telemetry,
    kind: str,
    files: int,
    folder: Path,
) -> Usage:
    """Run one case of `kind` and return what it used."""
    spec = CaseSpec(files=write_series("CT_small.dcm", files, folder / kind), **KINDS[kind])
    mark = time.monotonic()
    case = open_case(api, spec, poll=1.0)
    wait_for(
        lambda: (
            system.session.client("stepfunctions").describe_execution(
                executionArn=execution_arn(system, case.case_id)
            )["status"]
            != "RUNNING"
        ),
        "the review",
        300,
        interval=0.5,
    )
    api.call("GET", f"/cases/{case.case_id}/report", case.token)
    link = api.call("POST", f"/cases/{case.case_id}/report/link", case.token)
    report = requests.get(link["download_url"], timeout=30).content
    assignments = AssignmentStore(os.environ["ASSIGNMENTS_TABLE"]).for_case(case.case_id)
    subjects = {case.case_id, *(a.assignment_id for a in assignments)}
    calls = system.invocations.since(mark)
    aws = [c for c in meter.since(mark) if _of_case(c, subjects)]
    mine = [c for c in calls if _of_case(c, subjects)]
    units = {"write": 0.0, "read": 0.0}
    for call in aws:
        if call.service == "dynamodb":
            units["write" if call.operation in DYNAMO_WRITES else "read"] += call.units
    transitions, workflow_log_bytes = _transitions_and_log_bytes(system, case.case_id)
    with captured.lock:
        lines = [e.line for e in captured.logs if e.at >= mark and _of_case(e.running, subjects)]
        lines += [o.line for o in captured.output if o.at >= mark and _of_case(o.running, subjects)]
    image_bytes = sum(p.stat().st_size for p in spec.files)
    readers = 2 if spec.consensus else 1
    return Usage(
        kind=kind,
        files=files,
        invocations=mine,
        aws=Counter((c.service, c.operation) for c in aws),
        dynamo_units=units,
        transitions=transitions,
        log_bytes=sum(len(line) + 1 for line in lines) + PLATFORM_LOG_BYTES * len(mine) + workflow_log_bytes,
        uploaded_bytes=image_bytes,
        report_bytes=_report_bytes(system, case.case_id),
        sent_bytes=image_bytes * readers + len(report),
        client_puts=files,
        client_gets=files * readers + 1,
        retention_days=retention_days(system.template),
        not_per_case=Counter(c.trigger for c in calls if not _per_case(c.trigger)),
    )


def retention_days(template: dict[str, Any]) -> dict[str, int]:
    """Days the uploads and reports buckets keep an object, from their lifecycle rules."""
    found = {}
    for logical, resource in template["Resources"].items():
        for name in ("uploads", "reports"):
            if resource["Type"] == "AWS::S3::Bucket" and name.capitalize() in logical:
                rules = resource["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
                found[name] = max((int(r.get("ExpirationInDays", 0)) for r in rules), default=0)
    return found


def _report_bytes(system: LocalSystem, case_id: str) -> int:
    s3 = system.session.client("s3")
    (bucket,) = [b for b in system.of_type("AWS::S3::Bucket") if "reports" in b]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"cases/{case_id}/")
    return sum(int(o["Size"]) for o in listed.get("Contents", []))


def _watch_month(system: LocalSystem, meter: metering.Meter, prices: dict[str, Price]) -> float:
    """The deadline watch's monthly cost, from its runs during the measurement."""
    runs = [c for c in system.invocations.calls if c.trigger == "watch"]
    reads = sum(c.units for c in meter.calls if c.trigger == "watch" and c.service == "dynamodb")
    if not runs:
        return 0.0
    per_run = (
        prices["lambda_request"].each
        + gb_seconds(runs) / len(runs) * prices["lambda_arm_gb_second"].each
        + reads / len(runs) * prices["dynamodb_read_request_unit"].each
    )
    return per_run * WATCHES_PER_MONTH


# --- the command ----------------------------------------------------------------------------------


def _print_case(usage: Usage, compute: list[Item], retained: list[Item]) -> None:
    print(f"\n{usage.kind} case, {usage.files} files")
    print(f"  {'compute and requests':48} {'quantity':>10}  {'USD':>10}")
    for item in compute:
        print(f"    {item.what:46} {item.quantity:10.4g}  {item.usd:10.6f}")
    print(f"    {'total':46} {'':10}  {sum(i.usd for i in compute):10.6f}")
    print("  storage and transfer (not in the goal)")
    for item in retained:
        print(f"    {item.what:46} {item.quantity:10.4g}  {item.usd:10.6f}")
    per_function = Counter(c.step for c in usage.invocations)
    print("  invocations: " + ", ".join(f"{step} {n}" for step, n in sorted(per_function.items())))
    if usage.not_per_case:
        print(
            "  not counted (not per case): "
            + ", ".join(f"{t} {n}" for t, n in sorted(usage.not_per_case.items()))
        )


def _measure_all(
    files: int, prices: dict[str, Price], assembly: Path
) -> tuple[dict[str, tuple[Usage, list[Item], list[Item]]], float]:
    """Each kind of case measured and billed, and the deadline watch's monthly cost."""
    system = LocalSystem(assembly_dir=assembly, port=0, time_scale=3600).start()
    meter = metering.Meter(cloud.ACCOUNT, system.region).install()
    results: dict[str, tuple[Usage, list[Item], list[Item]]] = {}
    try:
        api = Api(system.api_url, timeout=60)
        key = tokens.signing_key(system.state_dir)
        ops = tokens.mint(tokens.ops_claims(), key)
        staff = [r["radiologist_id"] for r in api.call("GET", "/ops/radiologists", ops)]
        bots = Radiologists(
            api,
            {r: tokens.mint(tokens.radiologist_claims(r), key) for r in staff},
            poll=1.0,
            fetch_images=True,
        )
        with tempfile.TemporaryDirectory(prefix="cost-") as folder, telemetry.capture(echo=False) as captured:
            with bots:
                for kind in KINDS:
                    usage = measure(system, api, meter, captured, kind, files, Path(folder))
                    results[kind] = (usage, *bill(usage, prices))
            watch = _watch_month(system, meter, prices)
    finally:
        meter.uninstall()
        system.stop()
    return results, watch


def run(*, files: int, prices_path: Path | None, assembly: Path, as_json: bool) -> int:
    try:
        prices, document = load_prices(prices_path)
    except (PriceError, OSError, ValueError) as error:
        print(f"error: {error}")
        return 2
    warnings.simplefilter("ignore")
    with telemetry.quiet():
        results, watch = _measure_all(files, prices, assembly)
    if as_json:
        print(
            json.dumps(
                {
                    kind: {
                        "compute_and_requests_usd": sum(i.usd for i in compute),
                        "items": {
                            i.what: {"quantity": i.quantity, "usd": i.usd} for i in [*compute, *retained]
                        },
                    }
                    for kind, (_, compute, retained) in results.items()
                },
                indent=2,
            )
        )
        return 0
    assumed = [p for p in prices.values() if p.basis == "assumption"]
    print(f"secondopinion cost: one case of each kind on the local stack, {files} DICOM files each")
    print(
        f"prices: {prices_path or 'cli/data/prices-eu-central-2.json'} ({document.get('region')}); "
        f"{len(assumed)} of {len(prices)} are assumptions, not eu-central-2 figures: see the file's notes"
    )
    for usage, compute, retained in results.values():
        _print_case(usage, compute, retained)
    print("\nper case, compute and requests:")
    for kind, (_, compute, _) in results.items():
        total = sum(i.usd for i in compute)
        verdict = ""
        if kind == "standard":
            met = "met" if total < GOAL_USD else "MISSED"
            verdict = f"  goal < {GOAL_USD:.2f}: {met} ({total / GOAL_USD:.0%} of it)"
        print(f"  {kind:10} {total:10.6f} USD{verdict}")
    print(
        f"\nnot per case: the deadline watch, every 5 minutes, about {watch:.4f} USD a month; worklist "
        "polling, alarms, the KMS key, the firewall's fixed fees and idle queue polling are not counted"
    )
    print("durations are this machine's with moto in the same process: Graviton in AWS is likely faster")
    return 0
