"""EventBridge schedules, played locally: each `rate(...)` rule of the template invokes its
target functions on that period, divided by the time scale."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


@dataclass(frozen=True)
class Schedule:
    period_seconds: float
    function: str  # logical id of the target function
    payload: dict[str, Any]


def schedules_from_template(template: dict[str, Any]) -> list[Schedule]:
    found = []
    for r in template["Resources"].values():
        props = r.get("Properties", {})
        if r["Type"] != "AWS::Events::Rule" or props.get("State", "ENABLED") != "ENABLED":
            continue
        rate = re.fullmatch(r"rate\((\d+) (\w+)\)", props.get("ScheduleExpression", ""))
        if not rate:
            continue  # cron expressions have no local meaning worth emulating here
        for target in props.get("Targets", []):
            arn = target.get("Arn", {})
            if isinstance(arn, dict) and "Fn::GetAtt" in arn:
                found.append(
                    Schedule(
                        int(rate.group(1)) * UNITS[rate.group(2)],
                        arn["Fn::GetAtt"][0],
                        json.loads(target.get("Input", "{}")),
                    )
                )
    return found


class Scheduler:
    """One thread per schedule; `stop()` ends them all."""

    def __init__(
        self, schedules: list[Schedule], invoke: Callable[[str, dict[str, Any]], Any], time_scale: float
    ) -> None:
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(
                target=self._run,
                args=(s, invoke, max(0.5, s.period_seconds / time_scale)),
                name=f"schedule-{s.function}",
                daemon=True,
            )
            for s in schedules
        ]

    def start(self) -> Scheduler:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _run(self, schedule: Schedule, invoke: Callable[[str, dict[str, Any]], Any], every: float) -> None:
        while not self._stop.wait(every):
            try:
                invoke(schedule.function, schedule.payload)
            except Exception:  # a failed run is retried at the next tick, as EventBridge would
                log.warning("scheduled invocation of %s failed", schedule.function)
