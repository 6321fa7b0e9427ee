"""Reconciling a run on the local stack: nothing lost, nothing judged twice, nothing stuck.

After cases have run, every case must be delivered (the patient e-mailed) or escalated to ops
with an alert; every declared file must carry exactly one verdict, recorded once (the validate
function's 'file judged' events); every execution must have ended, a failed one only with the
case escalated; no assignment of a finished case may still hold a radiologist's slot; the upload
queue and its dead-letter queue must be empty. Used by the load benchmark and its end-to-end test.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from secondopinion import models
from secondopinion.models import LIVE_ASSIGNMENT, CaseStatus, Verdict
from secondopinion.store import AssignmentStore, CaseStore, FileStore

from functions.deliver.logic import report_page

from .system import LocalSystem
from .telemetry import Telemetry

JUDGED = ("validate", "file judged")
"""The validate function's log event for a verdict it recorded."""


@dataclass
class Reconciliation:
    cases: int = 0
    delivered: int = 0
    escalated: int = 0
    files: int = 0
    judged: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    judged_events: int = 0
    executions: Counter[str] = field(default_factory=Counter)
    emails: int = 0
    duplicate_emails: int = 0
    queued: int = 0
    dead_letters: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(self.verdicts.items()))
        return [
            f"cases      {self.cases}: {self.delivered} delivered, {self.escalated} escalated, "
            f"{self.cases - self.delivered - self.escalated} neither",
            f"files      {self.files} declared, {self.judged} judged ({verdicts}), "
            f"{self.judged_events} verdict events",
            "executions " + ", ".join(f"{n} {s}" for s, n in sorted(self.executions.items())),
            f"e-mails    {self.emails} report e-mails ({self.duplicate_emails} duplicates)",
            f"queues     {self.queued} upload events left, {self.dead_letters} dead letters",
            "reconciled: " + ("yes" if self.ok else f"NO, {len(self.problems)} problem(s)"),
            *(f"  - {p}" for p in self.problems[:20]),
        ]


def _queue_depth(system: LocalSystem, url: str) -> int:
    attributes = system.session.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def queues(system: LocalSystem) -> tuple[str, str]:
    """(upload queue URL, its dead-letter queue URL) of the local stack."""
    urls = system.of_type("AWS::SQS::Queue")
    sqs = system.session.client("sqs")
    for url in urls:
        policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get(
            "Attributes", {}
        )
        if "RedrivePolicy" in policy:
            dead = next(u for u in urls if u != url)
            return url, dead
    raise RuntimeError("the local stack has no queue with a dead-letter queue")


def execution_arn(system: LocalSystem, case_id: str, run: int = 0) -> str:
    """A review execution of a case on the local stack: its first run's by default."""
    return models.execution_arn(system.state_machine_arn, case_id, run)


def reconcile(
    system: LocalSystem, case_ids: list[str], telemetry: Telemetry | None = None, *, files_per_case: int = 0
) -> Reconciliation:
    """Check the outcome of `case_ids`; `files_per_case` (when given) is how many each declared."""
    cases, files = CaseStore(os.environ["CASES_TABLE"]), FileStore(os.environ["FILES_TABLE"])
    assignments = AssignmentStore(os.environ["ASSIGNMENTS_TABLE"])
    sfn = system.session.client("stepfunctions")
    result = Reconciliation(cases=len(case_ids))
    events: Counter[tuple[Any, Any]] | None = None
    if telemetry is not None:
        events = Counter(
            (e.fields.get("case_id"), e.fields.get("file_id")) for e in telemetry.events(*JUDGED)
        )
    emails = system.sent_emails()
    for case_id in case_ids:
        case = cases.get(case_id)
        escalated = case.escalated and bool(case.alerts)
        if case.status == CaseStatus.DELIVERED and case.notified_at is not None:
            result.delivered += 1
        elif escalated:
            result.escalated += 1
        else:
            result.problems.append(f"case {case_id} is {case.status.value}, neither delivered nor escalated")
        status = sfn.describe_execution(executionArn=execution_arn(system, case_id, case.run))["status"]
        result.executions[status] += 1
        if status == "RUNNING":
            result.problems.append(f"case {case_id}: its execution is still running")
        elif status != "SUCCEEDED" and not escalated:
            result.problems.append(f"case {case_id}: execution {status} and ops were not alerted")
        _files(case_id, files.for_case(case_id), events, files_per_case, result)
        for a in assignments.for_case(case_id):
            if a.status in LIVE_ASSIGNMENT or not a.released:
                result.problems.append(
                    f"case {case_id}: assignment {a.assignment_id} is {a.status.value} and "
                    f"{'still holds' if not a.released else 'gave back'} its radiologist's slot"
                )
        link = report_page(case_id)
        sent = sum(1 for m in emails if link in _text(m))
        result.emails += min(sent, 1)
        result.duplicate_emails += max(sent - 1, 0)
        if case.status == CaseStatus.DELIVERED and sent == 0:
            result.problems.append(f"case {case_id} is delivered but no e-mail told the patient")
    known = set(case_ids)
    result.judged_events = sum(n for key, n in (events or {}).items() if key[0] in known)
    upload_queue, dead_letters = queues(system)
    result.queued, result.dead_letters = (
        _queue_depth(system, upload_queue),
        _queue_depth(system, dead_letters),
    )
    if result.queued or result.dead_letters:
        result.problems.append(f"{result.queued} upload events queued, {result.dead_letters} dead letters")
    return result


def _files(
    case_id: str,
    records: list[Any],
    events: Counter[tuple[Any, Any]] | None,
    expected: int,
    result: Reconciliation,
) -> None:
    result.files += len(records)
    if expected and len(records) != expected:
        result.problems.append(f"case {case_id}: {len(records)} files recorded, {expected} declared")
    for f in records:
        if f.verdict == Verdict.PENDING or f.version_id is None:
            result.problems.append(f"case {case_id}: file {f.file_id} has no verdict")
            continue
        result.judged += 1
        result.verdicts[f.verdict.value] += 1
        seen = events.get((case_id, f.file_id), 0) if events is not None else 1
        if seen != 1:
            result.problems.append(f"case {case_id}: file {f.file_id} judged {seen} times")


def _text(message: dict[str, Any]) -> str:
    return f"{message.get('subject', '')}\n{message.get('body', '')}"
