"""The demo roster the local stack seeds: at least one radiologist per subspecialty, all licensed
in Switzerland, some also in a neighbouring country."""

from __future__ import annotations

from secondopinion.models import Language, Radiologist, Subspecialty

L = Language
S = Subspecialty


def _radiologist(
    rid: str,
    name: str,
    subs: list[Subspecialty],
    langs: list[Language],
    institution: str,
    licences: list[str],
) -> Radiologist:
    return Radiologist(
        radiologist_id=rid,
        name=name,
        email=f"{rid}@radiologists.example.org",
        subspecialties=subs,
        languages=langs,
        institution=institution,
        licences=licences,
        capacity=5,
    )


DEMO_ROSTER = [
    _radiologist(
        "rad-neuro-1", "Dr. Anna Keller", [S.NEURO], [L.DE, L.EN], "Universitätsspital Demo", ["CH"]
    ),
    _radiologist(
        "rad-neuro-2", "Dr. Luca Bernasconi", [S.NEURO], [L.IT, L.EN, L.DE], "Ospedale Demo", ["CH", "IT"]
    ),
    _radiologist("rad-msk-1", "Dr. Claire Dubois", [S.MSK], [L.FR, L.EN], "Clinique Demo", ["CH", "FR"]),
    _radiologist(
        "rad-body-1", "Dr. Jonas Meier", [S.BODY, S.CHEST], [L.DE, L.EN], "Kantonsspital Demo", ["CH"]
    ),
    _radiologist(
        "rad-body-2", "Dr. Sophie Laurent", [S.BODY, S.ULTRASOUND], [L.FR, L.EN], "Hôpital Demo", ["CH"]
    ),
    _radiologist("rad-breast-1", "Dr. Giulia Rossi", [S.BREAST], [L.IT, L.EN], "Ospedale Demo", ["CH"]),
    _radiologist(
        "rad-nuclear-1", "Dr. Peter Huber", [S.NUCLEAR], [L.DE, L.EN], "Universitätsspital Demo", ["CH"]
    ),
    _radiologist(
        "rad-chest-1", "Dr. Emma Brown", [S.CHEST, S.BODY], [L.EN], "Teleradiology Demo", ["CH", "DE"]
    ),
]
