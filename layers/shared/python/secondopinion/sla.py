"""Where a case stands against its deadline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class SlaStatus(StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"


AT_RISK_FRACTION = 0.75
"""Share of the SLA elapsed after which a case counts as at risk, unless the operator sets another
(`sla_at_risk_fraction`)."""


def sla_status(
    started: datetime | None,
    deadline: datetime | None,
    at: datetime,
    finished: datetime | None = None,
    *,
    at_risk_fraction: float = AT_RISK_FRACTION,
) -> SlaStatus:
    """The SLA status at time `at`, or at `finished` for a case that is done."""
    if started is None or deadline is None:
        return SlaStatus.NOT_STARTED
    if finished is not None:
        return SlaStatus.MET if finished <= deadline else SlaStatus.BREACHED
    if at > deadline:
        return SlaStatus.BREACHED
    total = (deadline - started).total_seconds()
    elapsed = (at - started).total_seconds()
    return SlaStatus.AT_RISK if total > 0 and elapsed / total >= at_risk_fraction else SlaStatus.ON_TRACK
