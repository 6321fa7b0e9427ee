"""`secondopinion validate`: the upload validation core, run on local files and folders."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from secondopinion.models import FileKind

from functions.validate.dicom_check import FileSource, judge


def files_under(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        else:
            yield path


def run(paths: list[Path], *, as_json: bool) -> int:
    """Judge every file; exit status 0 when each one could be judged (whatever the verdict)."""
    unjudged = 0
    for path in files_under(paths):
        try:
            verdict = judge(FileSource(path), FileKind.DICOM)
        except OSError as error:
            unjudged += 1
            print(f"{path}: cannot read: {error.strerror}", file=sys.stderr)
            continue
        facts = verdict.facts
        if as_json:
            print(
                json.dumps(
                    {
                        "path": str(path),
                        "verdict": verdict.verdict.value,
                        "kind": verdict.content.value if verdict.content else None,
                        "reason": verdict.reason,
                        "message": verdict.message,
                        "sop_class_uid": facts.sop_class_uid,
                        "modality": facts.modality,
                        "body_part": facts.body_part,
                        "study_instance_uid": facts.study_instance_uid,
                        "series_instance_uid": facts.series_instance_uid,
                        "transfer_syntax": facts.transfer_syntax,
                        "bytes_read": verdict.bytes_read,
                    }
                )
            )
        else:
            what = verdict.content.value if verdict.content else verdict.reason
            print(f"{verdict.verdict.value:9} {what or '':18} {facts.modality or '':4} {path}")
    return 1 if unjudged else 0
