"""Routes moto's Lambda invocations to the real handlers, in this process.

moto runs no handler code without Docker; this replaces its invoke with a call of the function's
own handler (found from the Handler property, e.g. 'intake.handler.handler' ->
functions.intake.handler:handler). A raised exception becomes a function error whose errorType is
the exception's class name, as in AWS, so Step Functions catchers see the same error names.
A `FaultPlan` (local/faults.py) can make chosen invocations fail on purpose.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import re
import threading
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .faults import TIMED_OUT, FaultKind, FaultPlan, raise_for, trigger_of

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
Fault = Callable[[str, dict[str, Any]], None]


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that the handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def resolve(handler: str, package: str = "functions") -> Handler:
    """'intake.handler.handler' -> the callable functions.intake.handler.handler."""
    module_name, _, attribute = handler.rpartition(".")
    module = importlib.import_module(f"{package}.{module_name}")
    return getattr(module, attribute)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Call:
    """One invocation: which function, what started it, when, how long it ran, whether it failed."""

    function: str
    step: str
    trigger: str
    subject: str
    """The case or assignment id the invocation is about, when its event names one."""
    memory_mb: int
    started: float  # time.monotonic()
    duration_ms: float
    failed: bool


@dataclass
class Invocations:
    """What ran: per function, how many invocations and errors, and every call with its duration
    (read by tests, the load benchmark and the cost tool)."""

    counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str, failed: bool, call: Call | None = None) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1
            if failed:
                self.errors[name] = self.errors.get(name, 0) + 1
            if call is not None:
                self.calls.append(call)

    def since(self, started: float) -> list[Call]:
        """The calls that started at or after `started` (a time.monotonic() value)."""
        with self.lock:
            return [c for c in self.calls if c.started >= started]


class Running(NamedTuple):
    step: str
    trigger: str
    subject: str


_running = threading.local()


def running() -> Running | None:
    """The invocation this thread is running, if any: the metering of AWS calls and the telemetry
    use it to tell a function's calls and lines from the local stack's own, and one case's from
    another's."""
    return getattr(_running, "call", None)


def step_of(handler: str) -> str:
    """'assign.handler.handler' -> 'assign'."""
    return handler.split(".", 1)[0]


_CASE_KEY = re.compile(r"cases/([0-9a-f]{32})/")


def subject_of(event: dict[str, Any]) -> str:
    """The case (or, for a radiologist's route and an offer, the assignment) an event is about;
    '' when it names none (opening a case, a worklist, the deadline watch)."""
    if "httpMethod" in event:
        parameters = event.get("pathParameters") or {}
        return str(parameters.get("case_id") or parameters.get("assignment_id") or "")
    if "Records" in event:
        found = _CASE_KEY.search(json.dumps(event["Records"]))
        return found.group(1) if found else ""
    request = event.get("request", event)
    return str(request.get("case_id") or request.get("assignment_id") or "")


def install(
    invocations: Invocations | None = None, package: str = "functions", faults: FaultPlan | None = None
) -> Invocations:
    """Patch moto's Lambda backends to run handlers from `package`, suffering the `faults`
    planned; returns the invocation counters."""
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda_simple.models import LambdaSimpleBackend

    invocations = invocations or Invocations()
    faults = faults or FaultPlan()
    # A Lambda execution environment handles one event at a time; the REST resolver keeps the
    # current request in module state, so a function answers one HTTP request at a time here too.
    # Only requests: the other events may arrive while a request waits on moto (a task token sent
    # resumes the workflow), and the handlers' paths for them keep no such state.
    resolvers: dict[str, threading.Lock] = defaultdict(threading.Lock)

    def invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> bytes:
        fn = self.get_function(function_name, qualifier)
        event = json.loads(body) if body else {}
        context = LambdaContext(
            function_name=fn.function_name,
            memory_limit_in_mb=int(fn.memory_size),
            invoked_function_arn=fn.function_arn,
        )
        step, trigger, subject = step_of(fn.handler), trigger_of(event), subject_of(event)
        fault = faults.due(step, event)
        started = time.monotonic()
        _running.call = Running(step, trigger, subject)
        try:
            if fault is not None:
                raise_for(fault, step)
            with resolvers[fn.handler] if "httpMethod" in event else contextlib.nullcontext():
                result = resolve(fn.handler, package)(event, context)
            if fault is not None and fault.kind == FaultKind.TIMEOUT:
                time.sleep(int(fn.timeout) / faults.time_scale)  # the rest of the timeout, scaled
                raise _TimedOut(f"Task timed out after {int(fn.timeout)} seconds")
            payload = json.dumps(result, default=str)
            failed = False
        except Exception as error:  # the function's failure, reported the way Lambda reports it
            log.warning("%s failed: %s", fn.function_name, type(error).__name__)
            log.debug("".join(traceback.format_exception(error)))
            response_headers["x-amz-function-error"] = "Unhandled"
            error_type = TIMED_OUT if isinstance(error, _TimedOut) else type(error).__name__
            payload = json.dumps({"errorType": error_type, "errorMessage": str(error)})
            failed = True
        finally:
            _running.call = None
        elapsed = (time.monotonic() - started) * 1000
        if fault is not None and fault.kind == FaultKind.TIMEOUT:
            elapsed = int(fn.timeout) * 1000.0  # Lambda bills a timed-out invocation in full
        call = Call(fn.function_name, step, trigger, subject, int(fn.memory_size), started, elapsed, failed)
        invocations.record(fn.function_name, failed, call)
        response_headers["Content-Length"] = str(len(payload))
        return payload.encode()

    LambdaBackend.invoke = invoke  # type: ignore[method-assign]
    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
    return invocations


class _TimedOut(Exception):
    """An invocation that ran past its function's timeout (a planned fault)."""


def forget_cached_state() -> None:
    """Clear the caches that hold clients and settings (each built lazily, once per process), so
    that handlers run against another stack, or AWS, build them anew."""
    from secondopinion import clients

    clients.forget()
    for step in ("intake", "validate", "assign", "report", "deliver"):
        module = importlib.import_module(f"functions.{step}.settings")
        module.get_settings.cache_clear()
