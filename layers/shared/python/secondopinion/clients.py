"""Cached, lazily created boto3 clients: no client is built at import time."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, signature_version="s3v4")


@cache
def client(service: str) -> Any:
    """One client per service and process (boto3 clients are thread-safe)."""
    return boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]


@cache
def table(name: str) -> Any:
    """A DynamoDB Table resource for `name`."""
    return boto3.session.Session().resource("dynamodb", config=_CONFIG).Table(name)
