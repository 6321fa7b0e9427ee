"""Routes moto's Lambda invocations to the real handlers, in this process.

moto runs no handler code without Docker; this replaces its invoke with a call of the function's
own handler (found from the Handler property, e.g. 'intake.handler.handler' ->
functions.intake.handler:handler). A raised exception becomes a function error whose errorType is
the exception's class name, as in AWS, so Step Functions catchers see the same error names.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class Invocations:
    """What ran: per function, how many invocations and errors (read by tests and the cost tool)."""

    counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str, failed: bool) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1
            if failed:
                self.errors[name] = self.errors.get(name, 0) + 1


def install(invocations: Invocations | None = None, package: str = "functions") -> Invocations:
    """Patch moto's Lambda backends to run handlers from `package`; returns the invocation counters."""
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda_simple.models import LambdaSimpleBackend

    invocations = invocations or Invocations()

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
        try:
            result = resolve(fn.handler, package)(event, context)
            payload = json.dumps(result, default=str)
            failed = False
        except Exception as error:  # the function's failure, reported the way Lambda reports it
            log.warning("%s failed: %s", fn.function_name, type(error).__name__)
            log.debug("".join(traceback.format_exception(error)))
            response_headers["x-amz-function-error"] = "Unhandled"
            payload = json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)})
            failed = True
        invocations.record(fn.function_name, failed)
        response_headers["Content-Length"] = str(len(payload))
        return payload.encode()

    LambdaBackend.invoke = invoke  # type: ignore[method-assign]
    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
    return invocations


def forget_cached_state() -> None:
    """Clear the caches that hold clients and settings (each built lazily, once per process), so
    that handlers run against another stack, or AWS, build them anew."""
    from secondopinion import clients

    clients.forget()
    for step in ("intake", "validate", "assign", "report", "deliver"):
        module = importlib.import_module(f"functions.{step}.settings")
        module.get_settings.cache_clear()
