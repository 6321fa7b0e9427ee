"""The radiologist roster as ops manage it: what an entry holds, reading a roster file (CSV or
JSON) with problems that name row and field, and importing entries without touching anyone's load.

Licence coverage: a licence covers its own region and, when it is a country, every subdivision of
that country. So a case from canton X needs a licence "CH" or "CH-X"; a case known only as "CH"
(canton unknown) needs "CH", because no single canton licence is sure to cover it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import PurePath
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import (
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails
from secondopinion.errors import InvalidRequest
from secondopinion.models import Contract, Language, Radiologist, Subspecialty, TimeOff
from secondopinion.regions import Licence, covers

# --- Moves to secondopinion.models unchanged, with Radiologist's new fields ---------------------

# --- The roster entry ---------------------------------------------------------------------------

ZURICH = ZoneInfo("Europe/Zurich")
MAX_CAPACITY = 50
RADIOLOGIST_ID = r"^[a-z0-9][a-z0-9-]{1,63}$"
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class RosterEntry(Contract):
    """One radiologist as ops describe them; the load (open reads) is the system's, not theirs."""

    radiologist_id: Annotated[str, StringConstraints(pattern=RADIOLOGIST_ID)]
    name: Text
    email: EmailStr
    subspecialties: list[Subspecialty] = Field(min_length=1)
    languages: list[Language] = Field(min_length=1)
    institution: Text
    licences: list[Licence] = Field(min_length=1)
    capacity: int = Field(ge=0, le=MAX_CAPACITY, description="Open reads at most.")
    available: bool = True
    time_off: list[TimeOff] = Field(default_factory=list)

    @field_validator("subspecialties", "languages", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v.strip().lower() if isinstance(v, str) else v for v in value]
        return value

    def is_available(self, on: datetime) -> bool:
        """Available, and `on` (aware) falls on no day off, days as the calendar in Zurich has them."""
        if on.tzinfo is None:
            raise ValueError("is_available needs a timezone-aware datetime")
        day = on.astimezone(ZURICH).date()
        return self.available and not any(p.start <= day <= p.end for p in self.time_off)

    def licensed_for(self, region: str) -> bool:
        """Whether a licence covers a case from `region` ("CH-ZH", "CH", "DE"); see the module doc."""
        return covers(self.licences, region)


# --- Problems -----------------------------------------------------------------------------------

CSV_ROWS = "rows count as in a spreadsheet: the header is row 1, the first radiologist row 2"
JSON_ROWS = "row 1 is the first radiologist in the list"
BOOLEANS: Mapping[str, bool] = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
REQUIRED = frozenset(n for n, f in RosterEntry.model_fields.items() if f.is_required())
LISTS = frozenset({"subspecialties", "languages", "licences"})
_CHOICES: dict[str, type[StrEnum]] = {"subspecialties": Subspecialty, "languages": Language}


@dataclass(frozen=True)
class RosterProblem:
    """One thing wrong with a roster file; `row` and `field` are None when it is the whole file."""

    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"row {self.row}" if self.row is not None else "",
                f"field {self.field}" if self.field else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


class RosterError(InvalidRequest):
    """A roster file that cannot be imported; `problems` lists every problem found in it."""

    code = "invalid_roster"

    def __init__(self, problems: list[RosterProblem], *, rows: str = "") -> None:
        self.problems = problems
        self.rows = rows
        count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
        convention = f" ({rows})" if rows else ""
        super().__init__(f"The roster has {count}{convention}: " + "; ".join(map(str, problems)))


def _describe(error: ErrorDetails) -> str:
    """A person's wording of one pydantic error, quoting the offending value."""
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    loc = error["loc"]
    if kind == "enum" and str(loc[0]) in _CHOICES:
        return f"'{value}' is not one of " + ", ".join(_CHOICES[str(loc[0])])
    messages = {
        "missing": "is required",
        "extra_forbidden": "is not a field of a radiologist (known: "
        + ", ".join(RosterEntry.model_fields)
        + ")",
        "value_error": str(ctx.get("error", "")),
        "less_than_equal": f"must be at most {ctx.get('le')}, not {value}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}, not {value}",
        "int_parsing": f"'{value}' is not a whole number",
        "int_from_float": f"'{value}' is not a whole number",
        "too_short": "must name at least one",
        "string_too_short": "must not be empty",
        "string_too_long": f"is longer than {ctx.get('max_length')} characters",
        "string_pattern_mismatch": f"'{value}' must be 2 to 64 lower-case letters, digits or '-', "
        "not starting with '-'",
        "bool_parsing": f"'{value}' is not one of " + ", ".join(BOOLEANS),
        "date_from_datetime_parsing": f"'{value}' is not a date (YYYY-MM-DD)",
        "date_parsing": f"'{value}' is not a date (YYYY-MM-DD)",
    }
    message = messages.get(kind, error["msg"])
    part = next((p for p in reversed(loc[1:]) if isinstance(p, str)), None)
    return f"{part} {message}" if part else message


def _validate(
    record: Mapping[str, Any], row: int, absent: frozenset[str]
) -> tuple[RosterEntry | None, list[RosterProblem]]:
    """The entry, or the problems of one row; a field whose whole column is absent is reported once
    for the file, not again on every row."""
    try:
        return RosterEntry.model_validate(record), []
    except ValidationError as invalid:
        return None, [
            RosterProblem(row, str(e["loc"][0]) if e["loc"] else None, _describe(e))
            for e in invalid.errors()
            if not (e["type"] == "missing" and e["loc"] and e["loc"][0] in absent)
        ]


# --- Reading a roster file ----------------------------------------------------------------------


def parse_roster(data: bytes, filename: str) -> list[RosterEntry]:
    """Every entry of a CSV or JSON roster file, or a RosterError listing all its problems.

    CSV: a header row; list fields separated by ";" (neuroradiology;musculoskeletal), time off as
    periods START..END separated by ";", booleans true/false/yes/no/1/0, empty cells as absent.
    JSON: a list of objects, or {"radiologists": [...]}.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".json"):
        raise RosterError([RosterProblem(None, None, f"'{filename}' is neither a .csv nor a .json file")])
    try:
        text = data.decode("utf-8-sig")  # spreadsheets often start UTF-8 files with a byte-order mark
    except UnicodeDecodeError as error:
        raise RosterError(
            [RosterProblem(None, None, f"the file is not UTF-8 text (byte {error.start})")]
        ) from None
    rows = CSV_ROWS if suffix == ".csv" else JSON_ROWS
    records, problems = _csv_records(text) if suffix == ".csv" else _json_records(text)
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    absent = REQUIRED - records.columns
    for row, record in records.items:
        entry, row_problems = _validate(record, row, absent)
        problems.extend(row_problems)
        rid = record.get("radiologist_id")
        if isinstance(rid, str) and rid:
            if rid in seen:
                problems.append(RosterProblem(row, "radiologist_id", f"'{rid}' is already row {seen[rid]}"))
            seen.setdefault(rid, row)
        if entry is not None:
            entries.append(entry)
    if problems:
        raise RosterError(sorted(problems, key=lambda p: p.row or 0), rows=rows)
    return entries


@dataclass
class _Records:
    """Rows of a file as field dictionaries, numbered, and the fields the file has at all."""

    items: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    columns: frozenset[str] = frozenset(RosterEntry.model_fields)


def _json_records(text: str) -> tuple[_Records, list[RosterProblem]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        return _Records(), [RosterProblem(None, None, message)]
    if isinstance(document, dict) and set(document) == {"radiologists"}:
        document = document["radiologists"]
    if not isinstance(document, list):
        message = 'expected a list of radiologists, or {"radiologists": [...]}'
        return _Records(), [RosterProblem(None, None, message)]
    records = _Records()
    problems: list[RosterProblem] = []
    for row, item in enumerate(document, start=1):
        if isinstance(item, dict):
            records.items.append((row, item))
        else:
            problems.append(RosterProblem(row, None, "is not an object of radiologist fields"))
    return records, problems


def _csv_records(text: str) -> tuple[_Records, list[RosterProblem]]:
    lines: Iterator[list[str]] = csv.reader(io.StringIO(text))
    header = [c.strip().lower() for c in next(lines, [])]
    if not any(header):
        return _Records(), [RosterProblem(1, None, "the header row is missing: the file is empty")]
    if len(header) == 1 and ";" in header[0]:
        message = "the columns are separated by ';'; separate them by ',' (';' separates list items)"
        return _Records(), [RosterProblem(1, None, message)]
    known = list(RosterEntry.model_fields)
    problems = [
        RosterProblem(1, column, f"column {i + 1} repeats an earlier column")
        for i, column in enumerate(header)
        if column in header[:i]
    ]
    problems += [
        RosterProblem(1, column or None, "is not a known column (known: " + ", ".join(known) + ")")
        for column in dict.fromkeys(header)
        if column not in known
    ]
    problems += [
        RosterProblem(1, c, "the required column is missing") for c in sorted(REQUIRED - set(header))
    ]
    records = _Records(columns=frozenset(header).intersection(known))
    for row, cells in enumerate(lines, start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line between rows
        if len(cells) > len(header):
            problems.append(
                RosterProblem(row, None, f"has {len(cells)} cells; the header names {len(header)}")
            )
        named = {h: c.strip() for h, c in zip(header, cells, strict=False) if h in known and c.strip()}
        record, cell_problems = _csv_fields(named, row)
        problems += cell_problems
        records.items.append((row, record))
    return records, problems


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _csv_fields(cells: dict[str, str], row: int) -> tuple[dict[str, Any], list[RosterProblem]]:
    """CSV cells as the fields of an entry; a cell it cannot read is left out and reported."""
    record: dict[str, Any] = {}
    problems: list[RosterProblem] = []
    for column, text in cells.items():
        if column in LISTS:
            record[column] = _split(text)
        elif column == "available":
            if text.lower() in BOOLEANS:
                record[column] = BOOLEANS[text.lower()]
            else:
                problems.append(RosterProblem(row, column, f"'{text}' is not one of " + ", ".join(BOOLEANS)))
        elif column == "time_off":
            periods = [p.partition("..") for p in _split(text)]
            bad = [start for start, dots, end in periods if not (dots and start.strip() and end.strip())]
            if bad:
                problems += [
                    RosterProblem(
                        row, column, f"'{b}' is not a period START..END (e.g. 2026-12-20..2027-01-03)"
                    )
                    for b in bad
                ]
            else:
                record[column] = [{"start": s.strip(), "end": e.strip()} for s, _, e in periods]
        else:
            record[column] = text
    return record, problems


# --- Importing ----------------------------------------------------------------------------------


class RosterTable(Protocol):
    """The part of RosterStore an import needs (tests pass an in-memory one)."""

    def get(self, radiologist_id: str) -> Radiologist | None: ...

    def save_profile(self, radiologist: Radiologist) -> None: ...


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIP = "skip"


@dataclass(frozen=True)
class Change:
    """What importing one entry does; `radiologist` is what gets stored (None when skipped)."""

    radiologist_id: str
    action: Action
    fields: tuple[str, ...] = ()
    radiologist: Radiologist | None = None

    def __str__(self) -> str:
        detail = {
            Action.UPDATE: ": " + ", ".join(self.fields),
            Action.SKIP: ": not on the roster (a capacity-only import creates nobody)",
        }.get(self.action, "")
        return f"{self.action.value:9} {self.radiologist_id}{detail}"


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    skipped: int = 0

    @classmethod
    def of(cls, changes: Iterable[Change]) -> ImportSummary:
        actions = [c.action for c in changes]
        return cls(*(actions.count(a) for a in (Action.CREATE, Action.UPDATE, Action.UNCHANGED, Action.SKIP)))

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {self.skipped} skipped" if self.skipped else "")


# Whatever Radiologist stores of an entry: once it gains email, licences and time_off, they are
# carried over with no change here. open_reads is not an entry field, so it is never overwritten.
PROFILE = frozenset(Radiologist.model_fields) & frozenset(RosterEntry.model_fields)


def change_for(entry: RosterEntry, stored: Radiologist | None, *, capacity_only: bool = False) -> Change:
    """What storing `entry` over `stored` means, keeping the stored load (open_reads)."""
    rid = entry.radiologist_id
    if stored is None:
        if capacity_only:
            return Change(rid, Action.SKIP)
        return Change(
            rid, Action.CREATE, radiologist=Radiologist.model_validate(entry.model_dump(include=set(PROFILE)))
        )
    before = stored.model_dump()
    after = before | (
        {"capacity": entry.capacity} if capacity_only else entry.model_dump(include=set(PROFILE))
    )
    new = Radiologist.model_validate(after)
    changed = tuple(name for name, value in new.model_dump().items() if before.get(name) != value)
    return Change(rid, Action.UPDATE if changed else Action.UNCHANGED, changed, new)


def plan_import(
    entries: Iterable[RosterEntry], roster: RosterTable, *, replace_capacity_only: bool = False
) -> list[Change]:
    """What import_roster would do, reading the roster and writing nothing."""
    return [change_for(e, roster.get(e.radiologist_id), capacity_only=replace_capacity_only) for e in entries]


def import_roster(
    entries: Iterable[RosterEntry], roster: RosterTable, *, replace_capacity_only: bool = False
) -> ImportSummary:
    """Create or update each entry; radiologists not in `entries` are left as they are.

    Existing radiologists keep their open_reads. With replace_capacity_only only their capacity
    changes, and entries not on the roster are skipped.
    """
    changes = []
    for entry in entries:
        # Read just before writing, so a read assigned meanwhile is not overwritten with an old count.
        change = change_for(entry, roster.get(entry.radiologist_id), capacity_only=replace_capacity_only)
        if change.radiologist is not None and change.action in (Action.CREATE, Action.UPDATE):
            roster.save_profile(change.radiologist)
        changes.append(change)
    return ImportSummary.of(changes)
