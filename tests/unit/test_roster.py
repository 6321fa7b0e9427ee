"""The roster: entries, reading roster files with problems that name row and field, importing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from secondopinion.models import Language, Radiologist, Subspecialty

from cli.roster import run_import
from functions.assign.roster import (
    Action,
    ImportSummary,
    RosterEntry,
    RosterError,
    RosterProblem,
    import_roster,
    parse_roster,
    plan_import,
)

DATA = Path(__file__).parent / "data"
HEADER = "radiologist_id,name,email,subspecialties,languages,institution,licences,capacity,available,time_off"
GOOD_ROW = "rad-neuro-1,Dr. Anna Keller,anna@usz.example.ch,neuroradiology,de;en,USZ,CH-ZH,5,true,"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


def _problems(data: bytes, filename: str = "roster.csv") -> list[RosterProblem]:
    with pytest.raises(RosterError) as raised:
        parse_roster(data, filename)
    return raised.value.problems


def _where(problems: list[RosterProblem]) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.field) for p in problems]


def _entry(**changes: object) -> RosterEntry:
    fields: dict[str, object] = {
        "radiologist_id": "rad-neuro-1",
        "name": "Dr. Anna Keller",
        "email": "anna@usz.example.ch",
        "subspecialties": ["neuroradiology"],
        "languages": ["de", "en"],
        "institution": "USZ",
        "licences": ["CH-ZH"],
        "capacity": 5,
    }
    return RosterEntry.model_validate(fields | changes)


def _stored(entry: RosterEntry, open_reads: int) -> Radiologist:
    return Radiologist.model_validate(
        entry.model_dump(include=set(Radiologist.model_fields)) | {"open_reads": open_reads}
    )


class FakeRoster:
    """RosterStore's get and put, in memory, remembering what was written."""

    def __init__(self, *radiologists: Radiologist) -> None:
        self.items = {r.radiologist_id: r for r in radiologists}
        self.written: list[Radiologist] = []

    def get(self, radiologist_id: str) -> Radiologist | None:
        return self.items.get(radiologist_id)

    def save_profile(self, radiologist: Radiologist) -> None:
        self.items[radiologist.radiologist_id] = radiologist
        self.written.append(radiologist)


# --- reading valid files --------------------------------------------------------------------------


def test_the_csv_sample_has_radiologists_for_every_subspecialty_and_several_cantons() -> None:
    # given the CSV sample
    data = (DATA / "roster_valid.csv").read_bytes()
    # when it is read
    entries = parse_roster(data, "roster_valid.csv")
    # then every subspecialty is covered, by licences in several cantons
    assert len(entries) == 9
    assert {s for e in entries for s in e.subspecialties} == set(Subspecialty)
    assert len({lic for e in entries for lic in e.licences if lic.startswith("CH-")}) >= 5


def test_the_json_sample_describes_the_same_roster_as_the_csv_sample() -> None:
    # given the same roster as CSV and as JSON ({"radiologists": [...]})
    csv_data = (DATA / "roster_valid.csv").read_bytes()
    json_data = (DATA / "roster_valid.json").read_bytes()
    # when both are read
    # then they give the same entries
    assert parse_roster(json_data, "roster_valid.json") == parse_roster(csv_data, "roster_valid.csv")


def test_a_json_roster_may_be_a_plain_list() -> None:
    # given a JSON list rather than {"radiologists": [...]}
    document = json.loads((DATA / "roster_valid.json").read_text(encoding="utf-8"))["radiologists"]
    # when it is read
    entries = parse_roster(json.dumps(document).encode(), "ROSTER.JSON")
    # then every radiologist is there
    assert [e.radiologist_id for e in entries][:2] == ["rad-neuro-1", "rad-neuro-2"]


def test_csv_lists_booleans_and_periods_are_read_from_their_cells() -> None:
    # given rows with ;-separated lists, yes/no and 0/1 booleans and two periods off
    entries = {e.radiologist_id: e for e in parse_roster((DATA / "roster_valid.csv").read_bytes(), "r.csv")}
    # then the lists keep their order, the booleans and the periods are read
    assert entries["rad-neuro-2"].languages == [Language.IT, Language.EN, Language.DE]
    assert entries["rad-neuro-2"].available is True
    assert entries["rad-body-2"].available is False
    assert entries["rad-chest-1"].available is False
    assert [(p.start, p.end) for p in entries["rad-msk-1"].time_off] == [
        (date(2027, 2, 1), date(2027, 2, 7)),
        (date(2027, 7, 15), date(2027, 8, 5)),
    ]


def test_subspecialties_are_matched_whatever_their_case() -> None:
    # given a subspecialty written in capitals
    data = _csv(GOOD_ROW.replace("neuroradiology", "Neuroradiology;BODY_IMAGING"))
    # when it is read
    (entry,) = parse_roster(data, "r.csv")
    # then it is the enum value
    assert entry.subspecialties == [Subspecialty.NEURO, Subspecialty.BODY]


def test_licences_are_stored_in_upper_case() -> None:
    # given licences in lower case
    entry = _entry(licences=["ch-zh", "de"])
    # then they are upper case
    assert entry.licences == ["CH-ZH", "DE"]


def test_empty_optional_cells_take_their_defaults() -> None:
    # given a row with neither availability nor time off
    (entry,) = parse_roster(_csv(GOOD_ROW.replace(",true,", ",,")), "r.csv")
    # then the radiologist is available with no time off
    assert entry.available is True
    assert entry.time_off == []


# --- problems ------------------------------------------------------------------------------------


def test_every_problem_of_a_file_is_reported_at_once_with_its_row_and_field() -> None:
    # given a file with one problem on each of six rows (header is row 1)
    data = (DATA / "roster_invalid.csv").read_bytes()
    # when it is read
    problems = _problems(data)
    # then all six are reported, in row order
    assert _where(problems) == [
        (3, "languages"),
        (4, "subspecialties"),
        (5, "licences"),
        (6, "time_off"),
        (7, "capacity"),
        (8, "radiologist_id"),
    ]


def test_an_unknown_language_names_row_field_and_the_languages_there_are() -> None:
    # given a second data row (row 3) with Spanish
    data = _csv(GOOD_ROW, GOOD_ROW.replace("rad-neuro-1", "rad-neuro-2").replace("de;en", "de;es"))
    # when it is read
    (problem,) = _problems(data)
    # then the problem reads as a person would say it
    assert str(problem) == "row 3, field languages: 'es' is not one of en, de, fr, it"


def test_an_unknown_subspecialty_is_reported_with_the_ones_there_are() -> None:
    (problem,) = _problems(_csv(GOOD_ROW.replace("neuroradiology", "cardiology")))
    assert _where([problem]) == [(2, "subspecialties")]
    assert "'cardiology' is not one of neuroradiology, musculoskeletal" in problem.message


def test_a_canton_that_does_not_exist_is_refused() -> None:
    (problem,) = _problems(_csv(GOOD_ROW.replace("CH-ZH", "CH-ZH;CH-XX")))
    assert _where([problem]) == [(2, "licences")]
    assert "'CH-XX'" in problem.message


def test_a_country_code_that_does_not_exist_is_refused() -> None:
    (problem,) = _problems(_csv(GOOD_ROW.replace("CH-ZH", "XX")))
    assert _where([problem]) == [(2, "licences")]


def test_time_off_that_ends_before_it_starts_is_refused() -> None:
    (problem,) = _problems(_csv(GOOD_ROW.replace("true,", "true,2027-01-10..2027-01-03")))
    assert str(problem) == "row 2, field time_off: end 2027-01-03 is before start 2027-01-10"


def test_time_off_that_is_not_a_period_is_refused() -> None:
    (problem,) = _problems(_csv(GOOD_ROW.replace("true,", "true,2027-01-10")))
    assert _where([problem]) == [(2, "time_off")]
    assert "START..END" in problem.message


def test_a_capacity_above_fifty_is_refused() -> None:
    (problem,) = _problems(_csv(GOOD_ROW.replace(",5,", ",99,")))
    assert str(problem) == "row 2, field capacity: must be at most 50, not 99"


def test_a_boolean_must_be_one_of_the_accepted_words() -> None:
    (problem,) = _problems(_csv(GOOD_ROW.replace("true", "maybe")))
    assert str(problem) == "row 2, field available: 'maybe' is not one of true, false, yes, no, 1, 0"


def test_an_invalid_email_is_refused() -> None:
    (problem,) = _problems(_csv(GOOD_ROW.replace("anna@usz.example.ch", "anna-at-usz")))
    assert _where([problem]) == [(2, "email")]


def test_a_radiologist_id_used_twice_is_reported_on_the_later_row() -> None:
    (problem,) = _problems(_csv(GOOD_ROW, GOOD_ROW.replace("Anna", "Anne")))
    assert str(problem) == "row 3, field radiologist_id: 'rad-neuro-1' is already row 2"


def test_a_missing_column_is_reported_once_on_the_header_not_on_every_row() -> None:
    # given a file without the licences column
    header = HEADER.replace(",licences", "")
    row = GOOD_ROW.replace(",CH-ZH", "")
    # when it is read
    problems = _problems(_csv(row, row.replace("rad-neuro-1", "rad-neuro-2"), header=header))
    # then the header row names the column, once
    assert _where(problems) == [(1, "licences")]


def test_an_unknown_column_is_reported_on_the_header() -> None:
    (problem,) = _problems(_csv(GOOD_ROW + ",red", header=HEADER + ",colour"))
    assert _where([problem]) == [(1, "colour")]
    assert "not a known column" in problem.message


def test_a_csv_separated_by_semicolons_is_explained() -> None:
    # given a spreadsheet export that separates columns by ';'
    data = _csv(GOOD_ROW.replace(",", ";"), header=HEADER.replace(",", ";"))
    # then the one problem says how to fix it
    (problem,) = _problems(data)
    assert "separate them by ','" in problem.message


def test_the_error_says_how_rows_are_counted() -> None:
    with pytest.raises(RosterError) as raised:
        parse_roster(_csv(GOOD_ROW.replace(",5,", ",99,")), "r.csv")
    assert "the header is row 1" in raised.value.message
    assert "row 2, field capacity" in raised.value.message


def test_malformed_json_is_reported_with_its_line_and_column() -> None:
    (problem,) = _problems(b'[{"radiologist_id": "rad-1",\n "name": }]', "roster.json")
    assert _where([problem]) == [(None, None)]
    assert "line 2, column 10" in problem.message


def test_json_rows_count_the_radiologists_in_the_list_and_name_unknown_keys() -> None:
    # given a valid first object and a second with an unknown key and a bad capacity
    good = _entry().model_dump(mode="json")
    bad = _entry(radiologist_id="rad-2").model_dump(mode="json") | {"colour": "red", "capacity": -1}
    # when it is read
    problems = _problems(json.dumps([good, bad]).encode(), "roster.json")
    # then both problems are on row 2
    assert sorted(_where(problems), key=str) == [(2, "capacity"), (2, "colour")]


def test_a_file_that_is_neither_csv_nor_json_is_refused() -> None:
    (problem,) = _problems(b"anything", "roster.xlsx")
    assert "neither a .csv nor a .json" in problem.message


# --- availability and licences --------------------------------------------------------------------


AWAY_OVER_NEW_YEAR = [{"start": "2026-12-20", "end": "2027-01-03"}]


@pytest.mark.parametrize(
    "on",
    [datetime(2026, 12, 20, 8, tzinfo=UTC), datetime(2027, 1, 3, 20, tzinfo=UTC)],
    ids=["first day", "last day"],
)
def test_a_radiologist_is_away_on_every_day_of_time_off_both_ends_included(on: datetime) -> None:
    assert not _entry(time_off=AWAY_OVER_NEW_YEAR).is_available(on)


def test_a_radiologist_is_available_the_day_after_time_off() -> None:
    assert _entry(time_off=AWAY_OVER_NEW_YEAR).is_available(datetime(2027, 1, 4, 8, tzinfo=UTC))


def test_days_off_follow_the_calendar_in_zurich() -> None:
    # given 23:30 UTC on the day before time off, which is already the next day in Zurich
    on = datetime(2026, 12, 19, 23, 30, tzinfo=UTC)
    # then the radiologist is away
    assert not _entry(time_off=AWAY_OVER_NEW_YEAR).is_available(on)


def test_a_radiologist_marked_unavailable_is_never_available() -> None:
    assert not _entry(available=False).is_available(datetime(2026, 6, 1, tzinfo=UTC))


def test_availability_needs_a_timezone_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _entry().is_available(datetime(2026, 6, 1))


def test_a_canton_licence_covers_that_canton_only() -> None:
    entry = _entry(licences=["CH-ZH"])
    assert entry.licensed_for("CH-ZH")
    assert entry.licensed_for("ch-zh")
    assert not entry.licensed_for("CH-BE")


def test_a_swiss_licence_covers_every_canton() -> None:
    entry = _entry(licences=["CH"])
    assert entry.licensed_for("CH")
    assert entry.licensed_for("CH-TI")


def test_a_case_whose_canton_is_unknown_needs_a_swiss_licence() -> None:
    assert not _entry(licences=["CH-ZH", "CH-ZG"]).licensed_for("CH")


def test_a_foreign_licence_covers_that_country_only() -> None:
    entry = _entry(licences=["DE"])
    assert entry.licensed_for("DE")
    assert not entry.licensed_for("CH-BS")


# --- importing ------------------------------------------------------------------------------------


def test_an_import_creates_new_radiologists_with_no_open_reads() -> None:
    roster = FakeRoster()
    summary = import_roster([_entry()], roster)
    assert summary == ImportSummary(created=1, updated=0, unchanged=0)
    assert roster.items["rad-neuro-1"].open_reads == 0


def test_an_import_keeps_the_open_reads_of_a_radiologist_it_updates() -> None:
    # given a radiologist with three open reads
    roster = FakeRoster(_stored(_entry(capacity=5), open_reads=3))
    # when the file raises their capacity
    import_roster([_entry(capacity=8)], roster)
    # then the capacity changes and the load stays
    assert roster.items["rad-neuro-1"].capacity == 8
    assert roster.items["rad-neuro-1"].open_reads == 3


def test_an_import_counts_created_updated_and_unchanged() -> None:
    # given one radiologist as in the file and one with another institution
    same, moved = _entry(), _entry(radiologist_id="rad-msk-1", institution="CHUV")
    roster = FakeRoster(_stored(same, 1), _stored(moved.model_copy(update={"institution": "HUG"}), 2))
    # when the file with them and a newcomer is imported
    summary = import_roster([same, moved, _entry(radiologist_id="rad-new-1")], roster)
    # then each is counted, and the unchanged one is not written
    assert summary == ImportSummary(created=1, updated=1, unchanged=1)
    assert [r.radiologist_id for r in roster.written] == ["rad-msk-1", "rad-new-1"]


def test_a_capacity_only_import_changes_capacity_alone_and_creates_nobody() -> None:
    # given a radiologist stored with institution USZ
    roster = FakeRoster(_stored(_entry(), open_reads=2))
    # when a capacity-only import brings another institution, a new capacity and a newcomer
    summary = import_roster(
        [_entry(institution="KSW", capacity=9), _entry(radiologist_id="rad-new-1")],
        roster,
        replace_capacity_only=True,
    )
    # then only the capacity changed and the newcomer was skipped
    stored = roster.items["rad-neuro-1"]
    assert (stored.capacity, stored.institution, stored.open_reads) == (9, "USZ", 2)
    assert summary == ImportSummary(created=0, updated=1, unchanged=0, skipped=1)
    assert "rad-new-1" not in roster.items


def test_planning_an_import_writes_nothing() -> None:
    roster = FakeRoster(_stored(_entry(), 0))
    changes = plan_import([_entry(capacity=7), _entry(radiologist_id="rad-new-1")], roster)
    assert [(c.action, c.fields) for c in changes] == [(Action.UPDATE, ("capacity",)), (Action.CREATE, ())]
    assert roster.written == []


# --- the command ---------------------------------------------------------------------------------


def test_a_dry_run_lists_the_changes_and_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    # given a roster that has one of the sample's radiologists already, with another capacity
    sample = parse_roster((DATA / "roster_valid.csv").read_bytes(), "roster_valid.csv")
    roster = FakeRoster(_stored(sample[0].model_copy(update={"capacity": 1}), open_reads=1))
    # when the sample is imported as a dry run
    status = run_import(DATA / "roster_valid.csv", table=None, dry_run=True, roster=roster)
    # then every change is listed, and nothing is written
    out = capsys.readouterr().out
    assert status == 0
    assert "update    rad-neuro-1: capacity" in out
    assert "create    rad-us-1" in out
    assert "dry run, nothing written; importing would leave 8 created, 1 updated, 0 unchanged" in out
    assert roster.written == []


def test_an_import_writes_and_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    roster = FakeRoster()
    status = run_import(DATA / "roster_valid.json", table=None, dry_run=False, roster=roster)
    assert status == 0
    assert len(roster.items) == 9
    assert "9 radiologists imported: 9 created, 0 updated, 0 unchanged" in capsys.readouterr().out


def test_a_file_with_problems_exits_2_printing_each_problem_on_its_own_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given the invalid sample
    path = DATA / "roster_invalid.csv"
    roster = FakeRoster()
    # when it is imported
    status = run_import(path, table=None, dry_run=False, roster=roster)
    # then the status is 2, each problem has a line, and nothing was written
    lines = capsys.readouterr().err.splitlines()
    assert status == 2
    assert lines[0] == f"{path}: 6 problems, nothing imported; " + (
        "rows count as in a spreadsheet: the header is row 1, the first radiologist row 2"
    )
    assert f"{path}: row 3, field languages: 'es' is not one of en, de, fr, it" in lines
    assert len(lines) == 7
    assert roster.written == []


def test_an_import_without_a_table_name_says_how_to_give_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROSTER_TABLE", raising=False)
    status = run_import(DATA / "roster_valid.csv", table=None, dry_run=True)
    assert status == 1
    assert "--table NAME" in capsys.readouterr().err
