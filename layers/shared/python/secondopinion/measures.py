"""The service's business metrics (CloudWatch embedded metric format, namespace SecondOpinion).

Counts are added by the handlers; durations by the logic that knows both ends, through the
function's `Metrics` it is handed (none: nothing is recorded). Every metric carries the function's
`service` dimension; a few carry one more (a rejection's reason, a case's status and SLA status),
each a code, never a value a person wrote.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from .observability import NAMESPACE


def seconds(metrics: Metrics | None, name: str, start: datetime | None, end: datetime) -> None:
    """The time from `start` to `end` as metric `name`, in seconds (nothing without a start)."""
    if metrics is None or start is None:
        return
    metrics.add_metric(name=name, unit=MetricUnit.Seconds, value=max(0.0, (end - start).total_seconds()))


def with_dimensions(service: str, name: str, value: float, **dimensions: str) -> None:
    """One metric with dimensions of its own beside `service`, written at once: the metrics the
    handler flushes share one dimension set."""
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        namespace=NAMESPACE,
        default_dimensions={"service": service, **dimensions},
    ):
        pass
