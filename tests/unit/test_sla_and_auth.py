"""SLA status, patient access tokens and staff claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from secondopinion import auth
from secondopinion.errors import Forbidden, Unauthorized
from secondopinion.settings import BaseFunctionSettings
from secondopinion.sla import SlaStatus, sla_status

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DEADLINE = START + timedelta(hours=72)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (1, SlaStatus.ON_TRACK),
        (53.9, SlaStatus.ON_TRACK),
        (54, SlaStatus.AT_RISK),
        (72.01, SlaStatus.BREACHED),
    ],
)
def test_sla_status_follows_the_elapsed_share_of_the_deadline(hours: float, expected: SlaStatus) -> None:
    assert sla_status(START, DEADLINE, START + timedelta(hours=hours)) == expected


@pytest.mark.parametrize(("fraction", "expected"), [(0.5, SlaStatus.AT_RISK), (0.9, SlaStatus.ON_TRACK)])
def test_the_operator_s_at_risk_fraction_moves_the_threshold(fraction: float, expected: SlaStatus) -> None:
    # Given a case 60 % into its SLA / Then it is at risk past half, on track under 90 %
    at = START + timedelta(hours=72 * 0.6)
    assert sla_status(START, DEADLINE, at, at_risk_fraction=fraction) == expected


def test_a_finished_case_is_met_or_breached_by_when_it_finished() -> None:
    assert sla_status(START, DEADLINE, DEADLINE + timedelta(days=9), finished=DEADLINE) == SlaStatus.MET
    assert (
        sla_status(START, DEADLINE, DEADLINE, finished=DEADLINE + timedelta(seconds=1)) == SlaStatus.BREACHED
    )


def test_a_case_not_submitted_has_no_sla_yet() -> None:
    assert sla_status(None, None, START) == SlaStatus.NOT_STARTED


def test_access_tokens_carry_256_bits_and_are_stored_as_a_hash() -> None:
    # Given a new token / When hashed / Then the hash verifies it and only it
    token = auth.new_access_token()
    stored = auth.hash_token(token)
    assert len(token) >= 43 and token not in stored
    assert auth.token_matches(token, stored)
    assert not auth.token_matches(token + "x", stored)


@pytest.mark.parametrize("header", [None, {}, {"Authorization": "Basic abc"}, {"authorization": "Bearer "}])
def test_a_missing_or_malformed_bearer_header_is_unauthorized(header: dict[str, str] | None) -> None:
    with pytest.raises(Unauthorized):
        auth.bearer_token(header)


def test_the_bearer_header_is_read_case_insensitively() -> None:
    assert auth.bearer_token({"authorization": "bearer tok123"}) == "tok123"


@pytest.mark.parametrize("groups", ["radiologists", "[radiologists, ops]", ["radiologists"]])
def test_staff_groups_parse_in_every_form_the_authorizer_sends(groups: object) -> None:
    staff = auth.staff_from_claims({"sub": "u1", "cognito:groups": groups, "custom:radiologist_id": "r1"})
    assert auth.require_radiologist(staff) == "r1"


def test_ops_without_the_radiologist_group_cannot_use_radiologist_routes() -> None:
    staff = auth.staff_from_claims({"sub": "u2", "cognito:groups": "ops"})
    auth.require_ops(staff)
    with pytest.raises(Forbidden):
        auth.require_radiologist(staff)


def test_no_claims_means_not_signed_in() -> None:
    with pytest.raises(Unauthorized):
        auth.staff_from_claims(None)


def test_sla_durations_shrink_by_the_time_scale_but_never_below_a_second() -> None:
    base = {
        "cases_table": "c",
        "files_table": "f",
        "assignments_table": "a",
        "roster_table": "r",
        "uploads_bucket": "u",
        "reports_bucket": "p",
        "kms_key_id": "k",
    }
    assert BaseFunctionSettings(**base).scaled_seconds(72) == 72 * 3600
    assert BaseFunctionSettings(**base, time_scale=3600).scaled_seconds(72) == 72
    assert BaseFunctionSettings(**base, time_scale=1e9).scaled_seconds(1) == 1
