"""Fault injection for the local stack: make chosen invocations of a function fail.

A `FaultPlan` is consulted by the Lambda adapter before each invocation. It never reaches the
functions' own code or anything deployed: the switch exists in the local stack only.

Three kinds of fault, as a function meets them in AWS:
- `exception`: the code raises an unexpected error (a bug); Lambda reports its class name.
- `timeout`: the function does its work but runs past its configured timeout, so its answer is
  lost and Lambda reports `Sandbox.Timedout` (the worst case for a retry: the work is repeated).
- `throttle`: an AWS call inside the function is throttled beyond the SDK's own retries; the
  function fails with botocore's ClientError (code ThrottlingException).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError


class FaultKind(StrEnum):
    EXCEPTION = "exception"
    TIMEOUT = "timeout"
    THROTTLE = "throttle"


class InjectedFault(RuntimeError):
    """The unexpected error an `exception` fault raises in place of the handler."""


TIMED_OUT = "Sandbox.Timedout"
"""The error type Lambda reports for an invocation that ran past its timeout."""


def trigger_of(event: dict[str, Any]) -> str:
    """What started an invocation: 'METHOD /resource' for the API, 'queue' for SQS, the workflow
    task's action (assign, offer, release, ...), or 'task' for a task that sends no action."""
    if "httpMethod" in event:
        return f"{event['httpMethod']} {event.get('resource', '')}"
    if "Records" in event:
        return "queue"
    return str(event.get("action") or "task")


@dataclass(frozen=True)
class Fault:
    """Fail invocations `nth` to `nth + times - 1` of `step` (counted among those whose trigger
    starts with `trigger`, when given)."""

    step: str
    kind: FaultKind
    nth: int = 1
    times: int = 1
    trigger: str = ""

    def __post_init__(self) -> None:
        if self.nth < 1 or self.times < 1:
            raise ValueError(f"nth and times start at 1 (got nth={self.nth}, times={self.times})")

    def describe(self) -> str:
        which = f"{self.trigger} " if self.trigger else ""
        span = f"#{self.nth}" if self.times == 1 else f"#{self.nth}-#{self.nth + self.times - 1}"
        return f"{self.kind.value} in {self.step} ({which}invocation {span})"


@dataclass(frozen=True)
class Injection:
    """One invocation that a fault hit."""

    fault: Fault
    invocation: int
    trigger: str


@dataclass
class FaultPlan:
    """The faults to inject, and what they hit. Thread-safe: invocations run concurrently."""

    faults: list[Fault] = field(default_factory=list)
    injected: list[Injection] = field(default_factory=list)
    time_scale: float = 1.0
    """Divides how long a `timeout` fault keeps the invocation busy (the function's timeout)."""
    _seen: dict[Fault, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, *faults: Fault) -> FaultPlan:
        with self._lock:
            self.faults.extend(faults)
        return self

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.injected.clear()
            self._seen.clear()

    def due(self, step: str, event: dict[str, Any]) -> Fault | None:
        """Count this invocation against every matching fault; the fault it must suffer, if any."""
        trigger = trigger_of(event)
        hit = None
        with self._lock:
            for fault in self.faults:
                if fault.step != step or not trigger.startswith(fault.trigger):
                    continue
                count = self._seen[fault] = self._seen.get(fault, 0) + 1
                if hit is None and fault.nth <= count < fault.nth + fault.times:
                    hit = fault
                    self.injected.append(Injection(fault, count, trigger))
        return hit


def raise_for(fault: Fault, step: str) -> None:
    """Raise what a fault of kind exception or throttle makes the function raise."""
    if fault.kind == FaultKind.EXCEPTION:
        raise InjectedFault(f"injected failure in {step}")
    if fault.kind == FaultKind.THROTTLE:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded (injected)"}},
            "UpdateItem",
        )
