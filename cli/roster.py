"""`secondopinion roster import`: load a roster file (CSV or JSON) into the roster table."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from secondopinion.store import RosterStore

from functions.assign.roster import (
    ImportSummary,
    RosterError,
    RosterTable,
    import_roster,
    parse_roster,
    plan_import,
)


def run_import(
    path: Path,
    *,
    table: str | None,
    dry_run: bool,
    capacity_only: bool = False,
    roster: RosterTable | None = None,
) -> int:
    """Import the radiologists of `path`, keeping everyone's open reads.

    Exit status 0 when imported (or, with `dry_run`, when the changes were listed), 2 when the file
    has problems (each printed on its own line; nothing is written), 1 when the file cannot be read
    or the table cannot be reached.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"{path}: cannot read: {error.strerror}", file=sys.stderr)
        return 1
    try:
        entries = parse_roster(data, path.name)
    except RosterError as error:
        count = len(error.problems)
        print(
            f"{path}: {count} problem{'' if count == 1 else 's'}, nothing imported; {error.rows}",
            file=sys.stderr,
        )
        for problem in error.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        return 2
    if roster is None:
        name = table or os.environ.get("ROSTER_TABLE")
        if not name:
            print("Name the roster table: --table NAME, or set ROSTER_TABLE.", file=sys.stderr)
            return 1
        roster = RosterStore(name)
    try:
        if dry_run:
            changes = plan_import(entries, roster, replace_capacity_only=capacity_only)
            for change in changes:
                print(change)
            print(f"dry run, nothing written; importing would leave {ImportSummary.of(changes)}")
        else:
            summary = import_roster(entries, roster, replace_capacity_only=capacity_only)
            print(f"{path}: {len(entries)} radiologists imported: {summary}")
    except (BotoCoreError, ClientError) as error:
        # Each radiologist is written on its own, so a failed run may have written some: repeating
        # the import is safe, it converges on the file.
        print(f"The roster table could not be used: {error}. The import is safe to repeat.", file=sys.stderr)
        return 1
    return 0
