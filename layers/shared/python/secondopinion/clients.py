"""Cached, lazily created boto3 clients: no client is built at import time.

Every client and table comes from one boto3 session and every table from one DynamoDB resource, so
that a cold start loads each service model once (a session per client loaded them again each time).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, signature_version="s3v4")
_BUILDING = threading.RLock()
"""boto3 sessions are not thread-safe: clients are built one at a time (the local stack runs
handlers in threads); built clients and resources are then shared."""


@cache
def _session() -> boto3.session.Session:
    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    """One client per service and process (boto3 clients are thread-safe)."""
    with _BUILDING:
        return _session().client(service, config=_CONFIG)  # type: ignore[call-overload]


@cache
def _dynamodb() -> Any:
    with _BUILDING:
        return _session().resource("dynamodb", config=_CONFIG)  # type: ignore[call-overload]


@cache
def table(name: str) -> Any:
    """A DynamoDB Table resource for `name`."""
    with _BUILDING:
        return _dynamodb().Table(name)


def forget() -> None:
    """Drop every cached client, resource and the session, so the next ones read the environment
    anew (the local stack and the tests point them at another endpoint)."""
    for cached in (client, table, _dynamodb, _session):
        cached.cache_clear()
