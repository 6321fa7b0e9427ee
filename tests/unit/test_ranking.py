"""Choosing among eligible radiologists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from secondopinion.models import AssignmentRecord, AssignmentStatus, Language, Radiologist, Subspecialty

from functions.assign.logic import ENDED_BY_FAILURE, passed_over, rank


def _rad(
    rid: str,
    *,
    langs: list[Language],
    load: int = 0,
    capacity: int = 5,
    available: bool = True,
    subs: list[Subspecialty] | None = None,
) -> Radiologist:
    return Radiologist(
        radiologist_id=rid,
        name=f"Dr. {rid.capitalize()}",
        subspecialties=subs or [Subspecialty.NEURO],
        languages=langs,
        institution="X",
        capacity=capacity,
        open_reads=load,
        available=available,
        licences=["CH"],
    )


def test_a_radiologist_who_speaks_the_patients_language_comes_first_even_if_busier() -> None:
    ranked = rank(
        [_rad("en", langs=[Language.EN]), _rad("de", langs=[Language.DE], load=3)],
        Subspecialty.NEURO,
        Language.DE,
        set(),
    )
    assert [r.radiologist_id for r in ranked] == ["de", "en"]


def test_among_speakers_the_least_loaded_comes_first() -> None:
    ranked = rank(
        [_rad("busy", langs=[Language.DE], load=4), _rad("free", langs=[Language.DE], load=1)],
        Subspecialty.NEURO,
        Language.DE,
        set(),
    )
    assert [r.radiologist_id for r in ranked] == ["free", "busy"]


def test_full_unavailable_tried_and_other_subspecialty_radiologists_are_not_eligible() -> None:
    candidates = [
        _rad("full", langs=[Language.DE], load=5),
        _rad("away", langs=[Language.DE], available=False),
        _rad("tried", langs=[Language.DE]),
        _rad("msk", langs=[Language.DE], subs=[Subspecialty.MSK]),
        _rad("ok", langs=[Language.EN]),
    ]
    ranked = rank(candidates, Subspecialty.NEURO, Language.DE, {"tried"})
    assert [r.radiologist_id for r in ranked] == ["ok"]


def test_a_radiologist_on_time_off_or_not_licensed_where_the_patient_lives_is_not_eligible() -> None:
    from datetime import UTC, date, datetime

    from secondopinion.models import TimeOff

    away = _rad("away", langs=[Language.DE]).model_copy(
        update={"time_off": [TimeOff(start=date(2026, 12, 20), end=date(2027, 1, 3))]}
    )
    german = _rad("german", langs=[Language.DE]).model_copy(update={"licences": ["DE"]})
    zurich = _rad("zurich", langs=[Language.DE]).model_copy(update={"licences": ["CH-ZH"]})
    ranked = rank(
        [away, german, zurich],
        Subspecialty.NEURO,
        Language.DE,
        set(),
        region="CH-ZH",
        at=datetime(2026, 12, 24, 12, tzinfo=UTC),
    )
    assert [r.radiologist_id for r in ranked] == ["zurich"]


def test_the_original_reader_and_their_institution_are_never_chosen() -> None:
    same_place = _rad("same", langs=[Language.DE]).model_copy(
        update={"institution": "Kantonsspital Baden AG"}
    )
    same_person = _rad("person", langs=[Language.DE]).model_copy(update={"name": "Dr. Hans Muster"})
    other = _rad("other", langs=[Language.DE])
    ranked = rank(
        [same_place, same_person, other],
        Subspecialty.NEURO,
        Language.DE,
        set(),
        institutions={"KANTONSSPITAL BADEN"},
        original_radiologist="Prof. H. Muster",
    )
    assert [r.radiologist_id for r in ranked] == ["other"]


T0 = datetime(2026, 12, 3, 9, tzinfo=UTC)


def _had(rid: str, status: AssignmentStatus, minutes: int) -> AssignmentRecord:
    offered = T0 + timedelta(minutes=minutes)
    return AssignmentRecord(
        assignment_id=f"{rid}-{minutes}",
        case_id="case",
        radiologist_id=rid,
        attempt=minutes,
        status=status,
        subspecialty=Subspecialty.NEURO,
        reason="test",
        offered_at=offered,
        due_at=offered + timedelta(minutes=10),
    )


def test_decliners_and_current_readers_are_excluded_and_lapses_are_counted() -> None:
    before = passed_over(
        [
            _had("lapsed-twice", AssignmentStatus.TIMED_OUT, 0),
            _had("said-no", AssignmentStatus.DECLINED, 10),
            _had("lapsed-twice", AssignmentStatus.TIMED_OUT, 20),
            _had("reading", AssignmentStatus.ACCEPTED, 30),
            _had("lapsed-then-declined", AssignmentStatus.TIMED_OUT, 40),
            _had("lapsed-then-declined", AssignmentStatus.DECLINED, 50),
        ]
    )
    assert before.excluded == {"said-no", "reading", "lapsed-then-declined"}
    assert set(before.lapses) == {"lapsed-twice"}
    assert before.lapses["lapsed-twice"].times == 2
    assert before.lapses["lapsed-twice"].last_offered_at == T0 + timedelta(minutes=20)


def test_fresh_radiologists_come_before_those_who_let_it_lapse_even_without_the_language() -> None:
    before = passed_over(
        [
            _had("twice", AssignmentStatus.TIMED_OUT, 0),
            _had("recent", AssignmentStatus.TIMED_OUT, 30),
            _had("twice", AssignmentStatus.TIMED_OUT, 20),
            _had("long-ago", AssignmentStatus.TIMED_OUT, 10),
        ]
    )
    candidates = [_rad(rid, langs=[Language.DE]) for rid in ("twice", "recent", "long-ago")] + [
        _rad("fresh-english", langs=[Language.EN], load=4)
    ]
    ranked = rank(candidates, Subspecialty.NEURO, Language.DE, before.excluded, lapses=before.lapses)
    assert [r.radiologist_id for r in ranked] == ["fresh-english", "long-ago", "recent", "twice"]


def test_a_read_that_ended_because_the_case_failed_is_no_lapse() -> None:
    ended = _had("unlucky", AssignmentStatus.TIMED_OUT, 0).model_copy(
        update={"decline_reason": ENDED_BY_FAILURE}
    )
    before = passed_over([ended])
    assert before.excluded == set() and dict(before.lapses) == {}
