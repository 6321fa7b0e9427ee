"""What a submitted reading must satisfy: plain language, comparisons with earlier studies,
critical findings told to ops at once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto.sns.models import sns_backends
from pydicom.data import get_testdata_file

from local.cloud import ACCOUNT

from .support import (
    REGION,
    TASK_TOKEN,
    Offer,
    RecordingStepFunctions,
    Stack,
    Uploads,
    accept,
    assign,
    offer,
    report_body,
    send_report,
)

QUESTIONS = ["Is the finding in my liver serious?"]
HARD = (
    "Ultrasonographic characterization demonstrates an anechoic, well-circumscribed hepatic lesion "
    "exhibiting posterior acoustic enhancement, consistent with an uncomplicated simple hepatic cyst, "
    "necessitating no additional radiological investigation."
)


def test_a_summary_above_the_readability_target_goes_back_with_its_score_and_hardest_sentence(
    offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given an accepted read of an English-language case
    waiting = offered(questions=QUESTIONS)
    accept(waiting.assignment_id)
    # When the radiologist submits a summary in radiology jargon
    refused = send_report(waiting.assignment_id, report_body(QUESTIONS, summary=HARD))
    # Then it is refused with the grade, the target and the sentence to rewrite; nothing moved on
    assert refused.status == 422 and refused.json["error"] == "hard_to_read"
    assert "Flesch" in refused.json["message"] and "at most 8" in refused.json["message"]
    assert "Ultrasonographic characterization" in refused.json["message"]
    assert not [c for c in step_functions.calls if c[1].get("output", "").find("radiologist_id") >= 0]


def test_a_confirmed_hard_summary_is_accepted_and_its_scores_are_kept(
    stack: Stack, offered: Callable[..., Offer]
) -> None:
    waiting = offered(questions=QUESTIONS)
    accept(waiting.assignment_id)
    done = send_report(waiting.assignment_id, report_body(QUESTIONS, summary=HARD, confirm_readability=True))
    assert done.status == 200
    stored = stack.item("ASSIGNMENTS_TABLE", {"assignment_id": waiting.assignment_id})
    scores = {r["section"]: r for r in stored["readability"]}
    assert scores["summary"]["passes"] is False and scores["answers"]["passes"] is True


def test_a_longitudinal_reading_must_compare_every_earlier_study(
    uploads: Uploads, new_case: Callable[..., tuple[str, str]], fresh_roster: Any, stack: Stack
) -> None:
    # Given a longitudinal case with two studies: the earlier one must be compared
    case_id, token = new_case(longitudinal=True, questions=QUESTIONS)
    for name in ("CT_small.dcm", "MR_small.dcm"):
        uploads.upload(case_id, token, Path(str(get_testdata_file(name, download=False))).read_bytes())
    from .support import call_api

    submitted = call_api(
        "intake",
        "POST",
        "/cases/{case_id}/submit",
        path_parameters={"case_id": case_id},
        token=token,
        body={"confirm_different_people": True},
    )
    assert submitted.status == 200
    studies = submitted.json["studies"]
    prior = next(s for s in studies if not s["current"])
    assigned = assign(case_id)
    offer(assigned["assignment_id"], TASK_TOKEN)
    accept(assigned["assignment_id"], assigned["radiologist_id"])
    # When the reading leaves the comparison out, then includes it
    missing = send_report(assigned["assignment_id"], report_body(QUESTIONS), assigned["radiologist_id"])
    compared = send_report(
        assigned["assignment_id"],
        report_body(
            QUESTIONS,
            comparisons=[
                {
                    "study_instance_uid": prior["study_instance_uid"],
                    "change": "stable",
                    "note": "Unchanged cyst.",
                }
            ],
        ),
        assigned["radiologist_id"],
    )
    # Then the first is refused naming what is missing, the second goes through
    assert missing.status == 400 and "1 missing" in missing.json["message"]
    assert compared.status == 200


def test_a_critical_finding_tells_ops_at_once(stack: Stack, offered: Callable[..., Offer]) -> None:
    waiting = offered(questions=QUESTIONS)
    accept(waiting.assignment_id)
    topic = next(t for t in stack.of_type("AWS::SNS::Topic"))
    before = len(sns_backends[ACCOUNT][REGION].topics[topic].sent_notifications)
    send_report(waiting.assignment_id, report_body(QUESTIONS, critical_finding=True))
    sent = sns_backends[ACCOUNT][REGION].topics[topic].sent_notifications[before:]
    assert [json.loads(n[1])["reason"] for n in sent] == ["critical_finding"]
    assert json.loads(sent[0][1])["case_id"] == waiting.case_id
    assert "cyst" not in sent[0][1]
