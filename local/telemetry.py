"""What the functions would send to CloudWatch Logs, CloudWatch metrics and X-Ray, captured.

In Lambda, every log line and everything printed (Powertools writes its EMF metrics with print)
goes to CloudWatch, and the Tracer sends its annotations and metadata to X-Ray. `capture()`
collects all three while the local stack runs: every log record of the process, formatted the
way its own handler formats it (Powertools' JSON for the functions' loggers); every line printed;
every annotation and piece of metadata the functions' tracers would record.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import sys
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

from . import adapter

STEPS = ("intake", "validate", "assign", "report", "deliver")
LAMBDA_LOG_LEVEL = logging.INFO
"""The level Lambda gives the root logger of a function that logs in JSON, unless configured."""
_PLAIN = logging.Formatter("%(levelname)s %(name)s %(message)s")


@dataclass(frozen=True)
class LogEvent:
    logger: str
    message: str
    line: str
    """The line as its handler writes it, which is what CloudWatch Logs would store."""
    fields: dict[str, Any]
    running: adapter.Running | None = None
    """The invocation that logged it; None for the local stack's own lines."""
    at: float = 0.0  # time.monotonic()


@dataclass(frozen=True)
class Printed:
    line: str
    running: adapter.Running | None
    at: float


@dataclass
class Telemetry:
    logs: list[LogEvent] = field(default_factory=list)
    output: list[Printed] = field(default_factory=list)
    traces: list[str] = field(default_factory=list)
    """Each annotation and piece of metadata as 'segment: key=value' (value as JSON)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def printed(self) -> list[str]:
        with self.lock:
            return [p.line for p in self.output]

    @property
    def metrics(self) -> list[str]:
        """The printed lines that are EMF metric documents."""
        return [line for line in self.printed if line.startswith("{") and '"_aws"' in line]

    def events(self, logger: str, message: str) -> list[LogEvent]:
        with self.lock:
            return [e for e in self.logs if e.logger == logger and e.message == message]

    def everything(self) -> list[str]:
        """Every log line, printed line and trace entry."""
        with self.lock:
            return [*(e.line for e in self.logs), *(p.line for p in self.output), *self.traces]


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class _Collector(logging.Handler):
    def __init__(self, telemetry: Telemetry) -> None:
        super().__init__(level=logging.NOTSET)
        self.telemetry = telemetry

    def emit(self, record: logging.LogRecord) -> None:
        own = getattr(logging.getLogger(record.name), "powertools_handler", None)
        formatter = own.formatter if own is not None and own.formatter is not None else _PLAIN
        try:
            line = formatter.format(record)
        except Exception:  # a record that cannot be formatted is still kept, plainly
            line = _PLAIN.format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        event = LogEvent(record.name, record.getMessage(), line, fields, adapter.running(), time.monotonic())
        with self.telemetry.lock:
            self.telemetry.logs.append(event)


class _Tee(io.TextIOBase):
    """sys.stdout that keeps each line written to it, and passes it on unless told to be quiet."""

    def __init__(self, target: Any, telemetry: Telemetry, echo: bool) -> None:
        self.target, self.telemetry, self.echo = target, telemetry, echo
        self._partial = threading.local()

    def write(self, text: str) -> int:
        pending = getattr(self._partial, "text", "") + text
        *lines, self._partial.text = pending.split("\n")
        if lines:
            running, at = adapter.running(), time.monotonic()
            with self.telemetry.lock:
                self.telemetry.output.extend(Printed(line, running, at) for line in lines)
        return int(self.target.write(text)) if self.echo else len(text)

    def flush(self) -> None:
        self.target.flush()


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


class _Segment(BaseSegment):
    def __init__(self, name: str, telemetry: Telemetry) -> None:
        self.name, self.telemetry = name, telemetry

    def _keep(self, entry: str) -> None:
        with self.telemetry.lock:
            self.telemetry.traces.append(f"{self.name}: {entry}")

    def close(self, end_time: int | None = None) -> None:
        return None

    def add_subsegment(self, subsegment: Any) -> None:
        return None

    def remove_subsegment(self, subsegment: Any) -> None:
        return None

    def put_annotation(self, key: str, value: Any) -> None:
        self._keep(f"annotation {key}={json.dumps(value, default=str)}")

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self._keep(f"metadata {namespace}.{key}={json.dumps(value, default=str)}")

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        self._keep(f"exception {type(exception).__name__}: {exception}")


class RecordingProvider(BaseProvider):
    """A tracing provider that keeps what X-Ray would receive instead of sending it."""

    def __init__(self, telemetry: Telemetry) -> None:
        self.telemetry = telemetry

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Generator[BaseSegment, None, None]:
        yield _Segment(name or "subsegment", self.telemetry)

    def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AbstractAsyncContextManager[Any]:
        raise NotImplementedError("the functions are synchronous")

    def put_annotation(self, key: str, value: Any) -> None:
        _Segment("segment", self.telemetry).put_annotation(key, value)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        _Segment("segment", self.telemetry).put_metadata(key, value, namespace)

    def patch(self, modules: Any) -> None:
        return None

    def patch_all(self) -> None:
        return None


@contextmanager
def quiet() -> Iterator[None]:
    """Keep what the functions print (their EMF metrics) off the terminal, e.g. while the local
    stack starts or stops outside a capture."""
    saved, sys.stdout = sys.stdout, _Discard()
    try:
        yield
    finally:
        sys.stdout = saved


@contextmanager
def capture(echo: bool = True) -> Iterator[Telemetry]:
    """Collect logs, printed lines and traces of everything that runs in this process meanwhile;
    with `echo` False, the functions' output is kept from the terminal (and this process' prints
    too, until the capture ends). Imports the functions' handlers, in the environment of the stack
    that runs them."""
    telemetry = Telemetry()
    collector = _Collector(telemetry)
    root = logging.getLogger()
    modules = [importlib.import_module(f"functions.{step}.handler") for step in STEPS]
    traced = [m for m in modules if hasattr(m, "tracer")]  # validate has no tracer: see the README
    providers = [m.tracer.provider for m in traced]
    handlers = [h for m in modules if isinstance(h := m.logger.registered_handler, logging.StreamHandler)]
    saved_level, saved_stdout, saved_streams = root.level, sys.stdout, [h.stream for h in handlers]
    root.addHandler(collector)
    root.setLevel(min(saved_level or logging.WARNING, LAMBDA_LOG_LEVEL))
    sys.stdout = _Tee(saved_stdout, telemetry, echo)
    for module in traced:
        module.tracer.provider = RecordingProvider(telemetry)
    if not echo:
        for handler in handlers:
            handler.setStream(_Discard())  # the collector keeps each line
    try:
        yield telemetry
    finally:
        for module, provider in zip(traced, providers, strict=True):
            module.tracer.provider = provider
        for handler, stream in zip(handlers, saved_streams, strict=True):
            handler.setStream(stream)
        sys.stdout = saved_stdout
        root.removeHandler(collector)
        root.setLevel(saved_level)
