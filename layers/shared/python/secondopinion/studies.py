"""A case's files grouped into studies and series, from their DICOM headers."""

from __future__ import annotations

from collections import defaultdict

from .models import ContentKind, FileRecord, SeriesGroup, StudyGroup

VIEWABLE = (ContentKind.IMAGE, ContentKind.SECONDARY)


def group(files: list[FileRecord]) -> list[StudyGroup]:
    """Studies by StudyInstanceUID, oldest first; the most recent one is marked current."""
    by_study: dict[str, list[FileRecord]] = defaultdict(list)
    for f in files:
        if f.content in VIEWABLE and f.facts.study_instance_uid:
            by_study[f.facts.study_instance_uid].append(f)
    studies = [_study(uid, members) for uid, members in by_study.items()]
    studies.sort(key=lambda s: (s.study_date or "", s.study_instance_uid))
    if studies:
        studies[-1] = studies[-1].model_copy(update={"current": True})
    return studies


def _study(uid: str, members: list[FileRecord]) -> StudyGroup:
    by_series: dict[str, list[FileRecord]] = defaultdict(list)
    for f in members:
        by_series[f.facts.series_instance_uid or "unknown"].append(f)
    first = members[0].facts
    return StudyGroup(
        study_instance_uid=uid,
        modalities=sorted({f.facts.modality for f in members if f.facts.modality}),
        body_part=next((f.facts.body_part for f in members if f.facts.body_part), None),
        description=next((f.facts.study_description for f in members if f.facts.study_description), None),
        study_date=first.study_date,
        series=[
            SeriesGroup(
                series_instance_uid=series_uid,
                modality=group_[0].facts.modality,
                description=group_[0].facts.series_description,
                instance_count=len(group_),
            )
            for series_uid, group_ in sorted(by_series.items())
        ],
        instance_count=len(members),
        current=False,
    )


def people(files: list[FileRecord]) -> int:
    """How many different people the accepted files' headers name."""
    return len({f.facts.patient_key for f in files if f.facts.patient_key})
