"""A small client of the HTTP API, used by the demo and the end-to-end tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests


class ApiError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


@dataclass
class Api:
    base_url: str
    timeout: float = 30

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        expect: tuple[int, ...] = (200, 201),
        headers: dict[str, str] | None = None,
    ) -> Any:
        headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        response = requests.request(
            method, self.base_url + path, json=json, headers=headers, timeout=self.timeout
        )
        body = response.json() if response.content else None
        if response.status_code not in expect:
            raise ApiError(response.status_code, body)
        return body

    def upload(self, instruction: dict[str, Any], path: Path) -> None:
        """Send one file with its presigned POST, as a browser form would."""
        with path.open("rb") as f:
            response = requests.post(
                instruction["url"],
                data=instruction["fields"],
                files={"file": (instruction["name"], f)},
                timeout=self.timeout,
            )
        if response.status_code not in (200, 201, 204):
            raise ApiError(response.status_code, response.text[:500])


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60, interval: float = 0.2) -> Any:
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(interval)
