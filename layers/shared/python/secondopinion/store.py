"""Data access for the four tables. Knows items and keys, not business rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from . import clients
from .errors import AssignmentNotFound, CaseNotFound
from .models import (
    ERASED,
    AssignmentRecord,
    AssignmentStatus,
    CaseRecord,
    CaseStatus,
    ErasedCase,
    FileRecord,
    Radiologist,
    TimelineEntry,
)
from .settings import BaseFunctionSettings


def _dynamo(value: Any) -> Any:
    """DynamoDB takes numbers as Decimal, never float."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dynamo(v) for v in value]
    return value


def _item(model: Any) -> dict[str, Any]:
    return {k: _dynamo(v) for k, v in model.model_dump(mode="json").items() if v is not None}


def _conditional_failed(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _query_all(table: Any, **kwargs: Any) -> Iterable[dict[str, Any]]:
    while True:
        page = table.query(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _move_status(
    table: Any,
    key: dict[str, str],
    allowed: list[Any],
    new: Any,
    fields: dict[str, Any],
    *,
    sets: list[str] | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> bool:
    """Set `status` to `new` (and `fields`) only if it is one of `allowed`; False if it was not.
    The one conditional write behind every state change of a case or an assignment."""
    names = {"#s": "status", **(names or {})}
    values = {":new": new.value, **{f":a{i}": s.value for i, s in enumerate(allowed)}, **(values or {})}
    expression = ["#s = :new", *(sets or [])]
    for i, (name, value) in enumerate(fields.items()):
        names[f"#f{i}"] = name
        values[f":v{i}"] = _dynamo(value)
        expression.append(f"#f{i} = :v{i}")
    try:
        table.update_item(
            Key=key,
            UpdateExpression="SET " + ", ".join(expression),
            ConditionExpression="#s IN (" + ", ".join(f":a{i}" for i in range(len(allowed))) + ")",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


def claim_key(case_id: str, radiologist_id: str) -> str:
    """The key of the item that reserves a radiologist for a case (see AssignmentStore.claim)."""
    return f"claim:{case_id}:{radiologist_id}"


class CaseStore:
    def __init__(self, table_name: str) -> None:
        self.table = clients.table(table_name)

    def create(self, case: CaseRecord) -> None:
        self.table.put_item(Item=_item(case), ConditionExpression=Attr("case_id").not_exists())

    def replace_token(self, case_id: str, old_hash: str, new_hash: str) -> bool:
        """Swap the access token's hash, if it is still `old_hash`; False otherwise."""
        try:
            self.table.update_item(
                Key={"case_id": case_id},
                UpdateExpression="SET token_hash = :new",
                ConditionExpression="token_hash = :old",
                ExpressionAttributeValues={":new": new_hash, ":old": old_hash},
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def get(self, case_id: str) -> CaseRecord:
        item = self.table.get_item(Key={"case_id": case_id}, ConsistentRead=True).get("Item")
        if not item or item.get("status") == ERASED:
            raise CaseNotFound()
        return CaseRecord.model_validate(item)

    def identity_salt(self, case_id: str) -> str:
        """The case's identity salt alone (only it and the status are read: not the case's health
        data, and no CaseRecord is built); raises CaseNotFound as `get` does."""
        item = self.table.get_item(
            Key={"case_id": case_id},
            ConsistentRead=True,
            ProjectionExpression="identity_salt, #status",
            ExpressionAttributeNames={"#status": "status"},  # a reserved word in DynamoDB
        ).get("Item")
        if not item or item.get("status") == ERASED:
            raise CaseNotFound()
        return str(item.get("identity_salt") or "")

    def update(self, case_id: str, event: TimelineEntry | None = None, **fields: Any) -> None:
        """Set `fields` (model field names, JSON-able values) and append `event` to the timeline."""
        names, values, sets = {}, {}, []
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            values[f":v{i}"] = value.value if hasattr(value, "value") else value
            sets.append(f"#f{i} = :v{i}")
        if event is not None:
            names["#tl"] = "timeline"
            values[":ev"] = [event.model_dump(mode="json")]
            values[":empty"] = []
            sets.append("#tl = list_append(if_not_exists(#tl, :empty), :ev)")
        self.table.update_item(
            Key={"case_id": case_id},
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ConditionExpression=Attr("case_id").exists(),
        )

    def transition(
        self,
        case_id: str,
        expected: CaseStatus | Iterable[CaseStatus],
        new: CaseStatus,
        event: TimelineEntry,
        **fields: Any,
    ) -> bool:
        """Move from one of the `expected` statuses to `new` atomically; False if it was in none."""
        allowed = [expected] if isinstance(expected, CaseStatus) else list(expected)
        return _move_status(
            self.table,
            {"case_id": case_id},
            allowed,
            new,
            fields,
            sets=["#tl = list_append(if_not_exists(#tl, :empty), :ev)"],
            names={"#tl": "timeline"},
            values={":ev": [event.model_dump(mode="json")], ":empty": []},
        )

    def add_alert(self, case_id: str, reason: str) -> bool:
        """Record that ops were told `reason` about this case; False if they were already."""
        try:
            self.table.update_item(
                Key={"case_id": case_id},
                UpdateExpression="SET alerts = list_append(if_not_exists(alerts, :empty), :r)",
                ConditionExpression="attribute_exists(case_id) AND NOT contains(alerts, :reason)",
                ExpressionAttributeValues={":empty": [], ":r": [reason], ":reason": reason},
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def _conditional_update(self, case_id: str, **kwargs: Any) -> dict[str, Any] | None:
        """update_item; the new item, or None when the condition failed."""
        try:
            return dict(self.table.update_item(Key={"case_id": case_id}, ReturnValues="ALL_NEW", **kwargs))
        except ClientError as error:
            if _conditional_failed(error):
                return None
            raise

    def record_download(self, case_id: str, event: TimelineEntry) -> bool:
        """Count a download and append its audit `event`; False when the delivery is revoked."""
        return (
            self._conditional_update(
                case_id,
                UpdateExpression="SET #tl = list_append(if_not_exists(#tl, :empty), :ev) "
                "ADD download_count :one",
                ConditionExpression="attribute_exists(case_id) AND attribute_not_exists(revoked_at)",
                ExpressionAttributeNames={"#tl": "timeline"},
                ExpressionAttributeValues={":ev": [event.model_dump(mode="json")], ":empty": [], ":one": 1},
            )
            is not None
        )

    def revoke(self, case_id: str, event: TimelineEntry) -> bool:
        """Set revoked_at (the event's time) and drop any one-time code; False if revoked already."""
        return (
            self._conditional_update(
                case_id,
                UpdateExpression="SET revoked_at = :at, #tl = list_append(if_not_exists(#tl, :empty), :ev) "
                "REMOVE code_hash, code_expires_at",
                ConditionExpression="attribute_exists(case_id) AND attribute_not_exists(revoked_at)",
                ExpressionAttributeNames={"#tl": "timeline"},
                ExpressionAttributeValues={
                    ":at": event.at.isoformat(),
                    ":ev": [event.model_dump(mode="json")],
                    ":empty": [],
                },
            )
            is not None
        )

    def issue_code(
        self, case_id: str, code_hash: str, expires_at: str, event: TimelineEntry, *, issued_before: str
    ) -> bool:
        """Store a new one-time code (replacing any other), unless one was issued at or after
        `issued_before`; False then."""
        return (
            self._conditional_update(
                case_id,
                UpdateExpression="SET code_hash = :h, code_expires_at = :e, code_issued_at = :i, "
                "code_attempts = :zero, #tl = list_append(if_not_exists(#tl, :empty), :ev)",
                ConditionExpression="attribute_exists(case_id) AND "
                "(attribute_not_exists(code_issued_at) OR code_issued_at < :before)",
                ExpressionAttributeNames={"#tl": "timeline"},
                ExpressionAttributeValues={
                    ":h": code_hash,
                    ":e": expires_at,
                    ":i": event.at.isoformat(),
                    ":zero": 0,
                    ":ev": [event.model_dump(mode="json")],
                    ":empty": [],
                    ":before": issued_before,
                },
            )
            is not None
        )

    def count_code_attempt(
        self, case_id: str, at: str, *, max_attempts: int, max_failures: int
    ) -> CaseRecord | None:
        """Spend one try on the current code before it is compared, so that parallel guesses
        each count; None when there is no live code (none, expired at `at`, or out of tries)."""
        item = self._conditional_update(
            case_id,
            UpdateExpression="SET code_attempts = code_attempts + :one",
            ConditionExpression="attribute_exists(code_hash) AND code_expires_at > :now AND "
            "code_attempts < :max AND (attribute_not_exists(code_failures) OR code_failures < :failures)",
            ExpressionAttributeValues={
                ":one": 1,
                ":now": at,
                ":max": max_attempts,
                ":failures": max_failures,
            },
        )
        return CaseRecord.model_validate(item["Attributes"]) if item else None

    def settle_code(self, case_id: str, code_hash: str, *, matched: bool, burn: bool) -> bool:
        """After a try on the code `code_hash`: a match or a burn removes it, a miss is counted.
        False when that code is no longer the case's."""
        clauses = [] if matched else ["ADD code_failures :one"]
        if matched or burn:
            clauses.append("REMOVE code_hash, code_expires_at")
        return (
            self._conditional_update(
                case_id,
                UpdateExpression=" ".join(clauses),
                ConditionExpression="code_hash = :h",
                ExpressionAttributeValues={":h": code_hash, **({} if matched else {":one": 1})},
            )
            is not None
        )

    def find_erased(self, case_id: str) -> ErasedCase | None:
        """The anonymous record of an erased case, or None (no such case, or not erased)."""
        item = self.table.get_item(Key={"case_id": case_id}, ConsistentRead=True).get("Item")
        return ErasedCase.model_validate(item) if item and item.get("status") == ERASED else None

    def replace_with_erased(self, record: ErasedCase, expected: CaseStatus) -> bool:
        """Overwrite the whole case item with its anonymous record, if it is still in `expected`."""
        try:
            self.table.put_item(
                Item=_item(record),
                ConditionExpression="attribute_exists(case_id) AND #s = :expected",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":expected": expected.value},
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def by_status(self, status: CaseStatus) -> list[CaseRecord]:
        items = _query_all(
            self.table, IndexName="by_status", KeyConditionExpression=Key("status").eq(status.value)
        )
        return [CaseRecord.model_validate(i) for i in items]


class FileStore:
    def __init__(self, table_name: str) -> None:
        self.table = clients.table(table_name)

    def put_many(self, files: list[FileRecord]) -> None:
        with self.table.batch_writer() as batch:
            for f in files:
                batch.put_item(Item=_item(f))

    def get(self, case_id: str, file_id: str) -> FileRecord | None:
        item = self.table.get_item(Key={"case_id": case_id, "file_id": file_id}, ConsistentRead=True).get(
            "Item"
        )
        return FileRecord.model_validate(item) if item else None

    def for_case(self, case_id: str) -> list[FileRecord]:
        items = _query_all(self.table, KeyConditionExpression=Key("case_id").eq(case_id), ConsistentRead=True)
        return [FileRecord.model_validate(i) for i in items]

    def update(self, case_id: str, file_id: str, **fields: Any) -> None:
        """Set (value) or remove (None) fields of a declared file."""
        sets = {k: v for k, v in fields.items() if v is not None}
        removes = [k for k, v in fields.items() if v is None]
        names = {f"#f{i}": k for i, k in enumerate([*sets, *removes])}
        lookup = {k: n for n, k in names.items()}
        expression = ""
        if sets:
            expression += "SET " + ", ".join(f"{lookup[k]} = :v{i}" for i, k in enumerate(sets))
        if removes:
            expression += " REMOVE " + ", ".join(lookup[k] for k in removes)
        self.table.update_item(
            Key={"case_id": case_id, "file_id": file_id},
            UpdateExpression=expression.strip(),
            ConditionExpression=Attr("file_id").exists(),
            ExpressionAttributeNames=names,
            **(
                {"ExpressionAttributeValues": {f":v{i}": v for i, v in enumerate(sets.values())}}
                if sets
                else {}
            ),
        )

    def delete(self, case_id: str, file_id: str) -> None:
        self.table.delete_item(Key={"case_id": case_id, "file_id": file_id})

    def delete_case(self, case_id: str) -> int:
        """Delete every file row of the case; how many there were."""
        keys = [
            {"case_id": i["case_id"], "file_id": i["file_id"]}
            for i in _query_all(
                self.table,
                KeyConditionExpression=Key("case_id").eq(case_id),
                ProjectionExpression="case_id, file_id",
                ConsistentRead=True,
            )
        ]
        with self.table.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key=key)
        return len(keys)

    def record_verdict(self, record: FileRecord) -> bool:
        """Store a verdict once per object version; False when this version was judged already."""
        try:
            self.table.put_item(
                Item=_item(record),
                ConditionExpression="attribute_not_exists(version_id) OR version_id <> :v",
                ExpressionAttributeValues={":v": record.version_id},
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True


class AssignmentStore:
    def __init__(self, table_name: str) -> None:
        self.table = clients.table(table_name)

    def create(self, assignment: AssignmentRecord) -> None:
        self.table.put_item(Item=_item(assignment), ConditionExpression=Attr("assignment_id").not_exists())

    def get(self, assignment_id: str) -> AssignmentRecord:
        found = self.find(assignment_id)
        if found is None:
            raise AssignmentNotFound()
        return found

    def find(self, assignment_id: str) -> AssignmentRecord | None:
        item = self.table.get_item(Key={"assignment_id": assignment_id}, ConsistentRead=True).get("Item")
        return AssignmentRecord.model_validate(item) if item else None

    def case_of(self, assignment_id: str) -> str | None:
        """The case an assignment belongs to (only that attribute is read), or None."""
        item = self.table.get_item(Key={"assignment_id": assignment_id}, ProjectionExpression="case_id").get(
            "Item"
        )
        return str(item["case_id"]) if item else None

    def create_once(self, assignment: AssignmentRecord) -> bool:
        """Write a new assignment; False if one with this id exists already."""
        try:
            self.create(assignment)
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def claim(self, case_id: str, radiologist_id: str, reader: int = 1) -> bool:
        """Reserve a radiologist for one reader of a case: two readers assigned at the same moment
        (a consensus case) can never both get the same radiologist, while the same reader may
        offer the case again to a radiologist who let it lapse. Claim items carry no index
        attributes, so they never show up as assignments."""
        try:
            self.table.put_item(
                Item={"assignment_id": claim_key(case_id, radiologist_id), "reader": reader},
                ConditionExpression=Attr("assignment_id").not_exists() | Attr("reader").eq(reader),
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def release_once(self, assignment_id: str) -> bool:
        """Mark the radiologist's slot as given back; True only for the first call."""
        try:
            self.table.update_item(
                Key={"assignment_id": assignment_id},
                UpdateExpression="SET released = :t",
                ConditionExpression="attribute_exists(assignment_id) AND "
                "(attribute_not_exists(released) OR released = :f)",
                ExpressionAttributeValues={":t": True, ":f": False},
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def set_token(self, assignment_id: str, ciphertext: str, phase: str) -> None:
        self.table.update_item(
            Key={"assignment_id": assignment_id},
            UpdateExpression="SET task_token_ciphertext = :t, token_phase = :p",
            ConditionExpression=Attr("assignment_id").exists(),
            ExpressionAttributeValues={":t": ciphertext, ":p": phase},
        )

    def move(
        self,
        assignment_id: str,
        allowed: Iterable[AssignmentStatus],
        new: AssignmentStatus,
        **fields: Any,
    ) -> bool:
        """Move to `new` if the current status is one of `allowed`; False otherwise."""
        return _move_status(self.table, {"assignment_id": assignment_id}, list(allowed), new, fields)

    def for_radiologist(self, radiologist_id: str) -> list[AssignmentRecord]:
        items = _query_all(
            self.table,
            IndexName="by_radiologist",
            KeyConditionExpression=Key("radiologist_id").eq(radiologist_id),
        )
        return [AssignmentRecord.model_validate(i) for i in items]

    def for_case(self, case_id: str) -> list[AssignmentRecord]:
        items = _query_all(self.table, IndexName="by_case", KeyConditionExpression=Key("case_id").eq(case_id))
        return sorted((AssignmentRecord.model_validate(i) for i in items), key=lambda a: a.attempt)

    def delete(self, assignment_id: str) -> None:
        self.table.delete_item(Key={"assignment_id": assignment_id})


class RosterStore:
    def __init__(self, table_name: str) -> None:
        self.table = clients.table(table_name)

    def put(self, radiologist: Radiologist) -> None:
        self.table.put_item(Item=_item(radiologist))

    def get(self, radiologist_id: str) -> Radiologist | None:
        item = self.table.get_item(Key={"radiologist_id": radiologist_id}).get("Item")
        return Radiologist.model_validate(item) if item else None

    def all(self) -> list[Radiologist]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self.table.scan(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [Radiologist.model_validate(i) for i in items]

    def save_profile(self, radiologist: Radiologist) -> None:
        """Write everything ops manage about a radiologist, but never their load: open_reads is
        kept (or starts at zero), so an update racing an assignment loses nothing."""
        item = {k: v for k, v in _item(radiologist).items() if k not in ("radiologist_id", "open_reads")}
        names = {f"#f{i}": k for i, k in enumerate(item)}
        values = {f":v{i}": v for i, v in enumerate(item.values())}
        sets = [f"#f{i} = :v{i}" for i in range(len(item))]
        self.table.update_item(
            Key={"radiologist_id": radiologist.radiologist_id},
            UpdateExpression="SET " + ", ".join([*sets, "open_reads = if_not_exists(open_reads, :zero)"]),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={**values, ":zero": 0},
        )

    def adjust_load(self, radiologist_id: str, delta: int) -> bool:
        """Change open_reads by `delta`, never above capacity nor below zero."""
        condition = "#open < #cap" if delta > 0 else "#open >= :one"
        names = {"#open": "open_reads", "#cap": "capacity"} if delta > 0 else {"#open": "open_reads"}
        try:
            self.table.update_item(
                Key={"radiologist_id": radiologist_id},
                UpdateExpression="SET #open = #open + :d",
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":d": delta, ":one": 1} if delta < 0 else {":d": delta},
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True


@dataclass(frozen=True)
class Stores:
    """The four tables, as a function's settings name them."""

    cases: CaseStore
    files: FileStore
    assignments: AssignmentStore
    roster: RosterStore

    @classmethod
    def from_settings(cls, settings: BaseFunctionSettings) -> Stores:
        return cls(
            CaseStore(settings.cases_table),
            FileStore(settings.files_table),
            AssignmentStore(settings.assignments_table),
            RosterStore(settings.roster_table),
        )
