"""Metering the AWS requests the functions make, for the cost of a case.

Every boto3 call made while a function's handler runs (the Lambda adapter says which) is counted
by service and operation. DynamoDB is billed by request unit rather than by request, so each of
its calls is also weighed from the items moto holds: a write costs one unit per KB of the item
for the table and for every global secondary index the item appears in; a read one unit per 4 KB
read (half for an eventually consistent read). Calls the local stack itself makes (its gateway,
scheduler, the harness) run outside any invocation and are not counted.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

from . import adapter

WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
READS = {"GetItem", "Query", "Scan"}


@dataclass(frozen=True)
class AwsCall:
    at: float  # time.monotonic()
    step: str
    trigger: str
    subject: str
    service: str
    operation: str
    units: float = 1.0
    """DynamoDB: read or write request units; any other service: 1 (the request)."""


@dataclass
class Meter:
    account: str
    region: str
    calls: list[AwsCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _original: Any = None

    def install(self) -> Meter:
        original = self._original = BaseClient._make_api_call
        meter = self

        def metered(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            running = adapter.running()
            if running is None:
                return original(client, operation, params)
            service = client.meta.service_model.service_name
            before = meter._units_before(operation, params) if service == "dynamodb" else 0.0
            try:
                result = original(client, operation, params)
            except Exception:
                meter._record(running, service, operation, max(before, 1.0))  # a refused write is billed too
                raise
            after = meter._units_after(operation, params, result) if service == "dynamodb" else 1.0
            meter._record(running, service, operation, before + after)
            return result

        BaseClient._make_api_call = metered  # type: ignore[method-assign]
        return self

    def uninstall(self) -> None:
        if self._original is not None:
            BaseClient._make_api_call = self._original  # type: ignore[method-assign]

    def since(self, started: float) -> list[AwsCall]:
        with self._lock:
            return [c for c in self.calls if c.at >= started]

    def _record(self, running: adapter.Running, service: str, operation: str, units: float) -> None:
        with self._lock:
            self.calls.append(AwsCall(time.monotonic(), *running, service, operation, units))

    # --- DynamoDB request units, from the items moto holds ------------------------------------

    def _table(self, name: str) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[self.account][self.region].get_table(name)

    def _item(self, table: Any, key: dict[str, Any]) -> Any:
        from moto.dynamodb.models.dynamo_type import DynamoType

        def typed(value: Any) -> Any:
            return DynamoType(value if isinstance(value, dict) else {"S": str(value)})

        hash_key = typed(key[table.hash_key_attr])
        range_key = typed(key[table.range_key_attr]) if table.range_key_attr else None
        try:
            return table.get_item(hash_key, range_key)
        except Exception:  # no such item
            return None

    def _write_units(self, table: Any, item: Any) -> float:
        size = item.size() if item is not None else 0
        copies = (
            1
            + sum(1 for index in table.global_indexes if all(a in item.attrs for a in index.schema_key_attrs))
            if item is not None
            else 1
        )
        return max(1, math.ceil(size / 1024)) * copies

    def _units_before(self, operation: str, params: dict[str, Any]) -> float:
        """A delete costs what the item it removes weighs: weighed before it is gone."""
        if operation == "DeleteItem":
            table = self._table(params["TableName"])
            return self._write_units(table, self._item(table, params["Key"]))
        if operation == "BatchWriteItem":
            units = 0.0
            for name, requests in params["RequestItems"].items():
                table = self._table(name)
                for request in requests:
                    if "DeleteRequest" in request:
                        units += self._write_units(table, self._item(table, request["DeleteRequest"]["Key"]))
            return units
        return 0.0

    def _units_after(self, operation: str, params: dict[str, Any], result: dict[str, Any]) -> float:
        if operation in ("PutItem", "UpdateItem"):
            table = self._table(params["TableName"])
            key = params.get("Key") or {
                a: params["Item"][a] for a in (table.hash_key_attr, table.range_key_attr) if a
            }
            return self._write_units(table, self._item(table, key))
        if operation == "BatchWriteItem":
            units = 0.0
            for name, requests in params["RequestItems"].items():
                table = self._table(name)
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        key = {a: item[a] for a in (table.hash_key_attr, table.range_key_attr) if a}
                        units += self._write_units(table, self._item(table, key))
            return units
        if operation in READS:
            table = self._table(params["TableName"])
            found = [result["Item"]] if result.get("Item") else result.get("Items", [])
            size = 0
            for returned in found:
                names = [a for a in (table.hash_key_attr, table.range_key_attr) if a]
                if not all(a in returned for a in names):  # a projection without the key
                    size += len(json.dumps(returned))  # a lower bound: DynamoDB reads the item
                    continue
                stored = self._item(table, {a: returned[a] for a in names})
                size += stored.size() if stored is not None else 0
            factor = 1.0 if params.get("ConsistentRead") else 0.5
            return max(1, math.ceil(size / 4096)) * factor
        return 1.0
