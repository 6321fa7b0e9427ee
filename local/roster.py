"""The demo roster the local stack seeds: at least one radiologist per subspecialty."""

from __future__ import annotations

from secondopinion.models import Language, Radiologist, Subspecialty

L = Language
S = Subspecialty

DEMO_ROSTER = [
    Radiologist(
        radiologist_id="rad-neuro-1",
        name="Dr. Anna Keller",
        subspecialties=[S.NEURO],
        languages=[L.DE, L.EN],
        institution="Universitätsspital Demo",
        capacity=5,
    ),
    Radiologist(
        radiologist_id="rad-neuro-2",
        name="Dr. Luca Bernasconi",
        subspecialties=[S.NEURO],
        languages=[L.IT, L.EN, L.DE],
        institution="Ospedale Demo",
        capacity=5,
    ),
    Radiologist(
        radiologist_id="rad-msk-1",
        name="Dr. Claire Dubois",
        subspecialties=[S.MSK],
        languages=[L.FR, L.EN],
        institution="Clinique Demo",
        capacity=5,
    ),
    Radiologist(
        radiologist_id="rad-body-1",
        name="Dr. Jonas Meier",
        subspecialties=[S.BODY, S.CHEST],
        languages=[L.DE, L.EN],
        institution="Kantonsspital Demo",
        capacity=5,
    ),
    Radiologist(
        radiologist_id="rad-body-2",
        name="Dr. Sophie Laurent",
        subspecialties=[S.BODY, S.ULTRASOUND],
        languages=[L.FR, L.EN],
        institution="Hôpital Demo",
        capacity=5,
    ),
    Radiologist(
        radiologist_id="rad-breast-1",
        name="Dr. Giulia Rossi",
        subspecialties=[S.BREAST],
        languages=[L.IT, L.EN],
        institution="Ospedale Demo",
        capacity=5,
    ),
    Radiologist(
        radiologist_id="rad-nuclear-1",
        name="Dr. Peter Huber",
        subspecialties=[S.NUCLEAR],
        languages=[L.DE, L.EN],
        institution="Universitätsspital Demo",
        capacity=5,
    ),
    Radiologist(
        radiologist_id="rad-chest-1",
        name="Dr. Emma Brown",
        subspecialties=[S.CHEST, S.BODY],
        languages=[L.EN],
        institution="Teleradiology Demo",
        capacity=5,
    ),
]
