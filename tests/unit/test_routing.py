"""Subspecialty routing from DICOM header facts (DOMAIN.md's table)."""

from __future__ import annotations

import pytest
from secondopinion.models import DicomFacts, Subspecialty

from functions.assign.routing import route, route_one


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (DicomFacts(modality="MR", study_description="MRT Schädel nativ"), Subspecialty.NEURO),
        (DicomFacts(modality="CT", body_part="HEAD"), Subspecialty.NEURO),
        (DicomFacts(modality="MR", series_description="IRM du genou droit"), Subspecialty.MSK),
        (DicomFacts(modality="MR", study_description="RM ginocchio sinistro"), Subspecialty.MSK),
        (DicomFacts(modality="CT", body_part="CHEST"), Subspecialty.BODY),
        (DicomFacts(modality="CT", study_description="CT Abdomen/Becken"), Subspecialty.BODY),
        (DicomFacts(modality="MG"), Subspecialty.BREAST),
        (DicomFacts(modality="MR", study_description="MR Mamma beidseits"), Subspecialty.BREAST),
        (DicomFacts(modality="PT", body_part="WHOLEBODY"), Subspecialty.NUCLEAR),
        (DicomFacts(modality="NM"), Subspecialty.NUCLEAR),
        (DicomFacts(modality="US", study_description="Sonographie Oberbauch"), Subspecialty.ULTRASOUND),
        (DicomFacts(modality="CR", body_part="CHEST"), Subspecialty.CHEST),
        (DicomFacts(modality="DX", study_description="Handgelenk links"), Subspecialty.MSK),
    ],
)
def test_a_study_routes_by_modality_and_region_in_four_languages(
    facts: DicomFacts, expected: Subspecialty
) -> None:
    # Given the header facts of one image / When routed / Then the subspecialty matches the table
    assert route_one(facts) == expected


def test_a_case_routes_to_its_majority_subspecialty_and_says_what_else_it_needs() -> None:
    # Given two brain images and one knee image
    facts = [DicomFacts(modality="MR", body_part="BRAIN")] * 2 + [DicomFacts(modality="MR", body_part="KNEE")]
    # When the case is routed
    primary, reason = route(facts)
    # Then neuroradiology reads it and the reason names the second subspecialty
    assert primary == Subspecialty.NEURO
    assert "musculoskeletal" in reason


def test_a_case_without_image_facts_falls_back_to_body_imaging() -> None:
    primary, reason = route([])
    assert primary == Subspecialty.BODY
    assert "no diagnostic image" in reason
