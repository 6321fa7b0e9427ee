"""The translation step in the template: the workflow's sign-off wait, and machine translation
only where the operator enabled it, acknowledging the cross-border transfer."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import from_context
from tests.infra.cfn import as_list, function_role, state_machine_definition, statements_by_role
from tests.infra.synthesis import Synthesized


def _states(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    machine = synthesized.resources[synthesized.logical_id(synthesized.stack.workflow.state_machine)]
    return dict(state_machine_definition(machine)["States"])


@pytest.fixture(scope="module")
def states(dev: Synthesized) -> dict[str, dict[str, Any]]:
    return _states(dev)


def _translate_grants(synthesized: Synthesized) -> dict[str, list[dict[str, Any]]]:
    """Each role's statements that allow a translate: action."""
    return {
        role: found
        for role, statements in statements_by_role(synthesized.resources).items()
        if (
            found := [
                s
                for s in statements
                if s.get("Effect") == "Allow"
                and any(a.startswith("translate:") or a == "*" for a in as_list(s.get("Action", [])))
            ]
        )
    }


def _assign_environment(synthesized: Synthesized) -> dict[str, Any]:
    function = synthesized.resources[synthesized.logical_id(synthesized.stack.functions.by_step["assign"])]
    return dict(function["Properties"]["Environment"]["Variables"])


# --- The workflow --------------------------------------------------------------------------------


@pytest.mark.parametrize("reading", ["OneReader", "Concordant", "Agreed"])
def test_every_reading_goes_through_the_translation_step_before_the_report(
    states: dict[str, dict[str, Any]], reading: str
) -> None:
    # Given each way a reading is settled / Then it goes on to the translation step
    assert states[reading]["Next"] == "StartTranslation"
    assert states["StartTranslation"]["Next"] == "AssignTranslation"
    assert states["AssignTranslation"]["Next"] == "TranslationNeeded?"


def test_a_reading_needing_no_translation_goes_straight_to_the_report_and_one_that_does_waits(
    states: dict[str, dict[str, Any]],
) -> None:
    choice = states["TranslationNeeded?"]
    (rule,) = choice["Choices"]
    assert (rule["Variable"], rule["BooleanEquals"], rule["Next"]) == (
        "$.translation.needed",
        True,
        "WaitForTranslation",
    )
    assert choice["Default"] == "Report"
    assert states["WaitForTranslation"]["Next"] == "Report"


def test_the_report_is_asked_for_with_the_signed_off_translation(states: dict[str, dict[str, Any]]) -> None:
    payload = states["Report"]["Parameters"]["Payload"]
    assert payload["translation_assignment_id.$"] == "$.translation.assignment_id"


def test_the_sign_off_waits_on_a_radiologist_task_token_for_at_most_one_read_window(
    states: dict[str, dict[str, Any]],
) -> None:
    wait = states["WaitForTranslation"]
    assert wait["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert wait["TimeoutSecondsPath"] == "$.timeouts.review_seconds"
    assert wait["Parameters"]["Payload"]["request"]["phase"] == "translation"


def test_an_overdue_sign_off_escalates_then_asks_the_next_radiologist(
    states: dict[str, dict[str, Any]],
) -> None:
    # Given the wait's catcher for a timeout (both names, as moto and AWS raise them)
    (caught,) = [c for c in states["WaitForTranslation"]["Catch"] if "States.Timeout" in c["ErrorEquals"]]
    assert "States.HeartbeatTimeout" in caught["ErrorEquals"]
    # When followed / Then ops are told, the translation is released and assigned again
    escalation = states[caught["Next"]]
    assert escalation["Parameters"]["Payload"] == {
        "action": "escalate",
        "request": {"case_id.$": "$.case_id", "reason": "translation_overdue"},
    }
    assert escalation["Next"] == "ReleaseTranslation"
    assert [c["Next"] for c in escalation["Catch"]] == ["ReleaseTranslation"]  # never stops the case
    assert states["ReleaseTranslation"]["Next"] == "AssignTranslation"


def test_a_declined_sign_off_asks_the_next_radiologist(states: dict[str, dict[str, Any]]) -> None:
    (caught,) = [c for c in states["WaitForTranslation"]["Catch"] if "Review.Declined" in c["ErrorEquals"]]
    assert caught["Next"] == "ReleaseTranslation"


def test_nobody_who_reads_both_languages_escalates_and_waits_in_the_queue(
    states: dict[str, dict[str, Any]],
) -> None:
    (caught,) = [
        c for c in states["AssignTranslation"]["Catch"] if "NoRadiologistAvailable" in c["ErrorEquals"]
    ]
    escalation = states[caught["Next"]]
    assert escalation["Parameters"]["Payload"]["request"]["reason"] == "no_translator_available"
    wait = states[escalation["Next"]]
    assert wait["Type"] == "Wait" and wait["SecondsPath"] == "$.timeouts.queue_seconds"
    assert wait["Next"] == "AssignTranslation"


# --- Machine translation, only when chosen -------------------------------------------------------


def test_by_default_no_role_may_call_amazon_translate(dev: Synthesized) -> None:
    assert _translate_grants(dev) == {}
    assert "TRANSLATOR" not in _assign_environment(dev)


def test_enabled_only_assign_may_translate_and_only_in_the_acknowledged_region(
    translating: Synthesized,
) -> None:
    # Given the app synthesized with Amazon Translate enabled in Frankfurt (cdk-nag has passed)
    assign_role = function_role(
        translating.resources, translating.logical_id(translating.stack.functions.by_step["assign"])
    )

    # When the roles allowed a translate: action are collected
    grants = _translate_grants(translating)

    # Then only assign's role has one statement: TranslateText, in that region only
    assert list(grants) == [assign_role]
    (statement,) = grants[assign_role]
    assert as_list(statement["Action"]) == ["translate:TranslateText"]
    assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": "eu-central-1"}}


def test_enabled_the_assign_function_is_told_the_translator_and_its_region(translating: Synthesized) -> None:
    environment = _assign_environment(translating)
    assert (environment["TRANSLATOR"], environment["TRANSLATE_REGION"]) == (
        "amazon-translate",
        "eu-central-1",
    )


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        (
            {"translator": "amazon-translate", "translate_region": "eu-central-1"},
            ["acknowledge_cross_border_translation", "eu-central-1", "health data"],
        ),
        (
            {"translator": "amazon-translate", "acknowledge_cross_border_translation": True},
            ["translate_region", "eu-central-2"],
        ),
        ({"translate_region": "eu-central-1"}, ["translate_region", "amazon-translate"]),
        ({"translator": "machine"}, ["translator"]),
        (
            {
                "translator": "amazon-translate",
                "translate_region": "Frankfurt",
                "acknowledge_cross_border_translation": True,
            },
            ["translate_region"],
        ),
    ],
    ids=["no-acknowledgement", "no-region", "region-without-translator", "unknown-translator", "bad-region"],
)
def test_machine_translation_is_refused_at_synth_unless_it_is_a_complete_acknowledged_choice(
    raw: dict[str, Any], names: list[str]
) -> None:
    # Given a context that enables machine translation incompletely
    # When it is validated / Then the synth stops, saying what is missing and why
    with pytest.raises(SystemExit) as stopped:
        from_context(raw)
    message = str(stopped.value.code)
    assert all(name in message for name in names), message
