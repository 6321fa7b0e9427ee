"""Which subspecialty reads a study, from its DICOM header (DOMAIN.md's routing table).

BodyPartExamined is often empty, so study and series descriptions are matched against keywords in
English, German, French and Italian.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from secondopinion.models import DicomFacts, Subspecialty

REGIONS: dict[str, tuple[str, ...]] = {
    "breast": ("breast", "mamma", "mammo", "brust", "sein", "seno", "mammella"),
    "neuro": (
        "brain",
        "head",
        "skull",
        "spine",
        "neck",
        "cervical",
        "lumbar",
        "thoracic spine",
        "cranial",
        "schadel",
        "kopf",
        "hirn",
        "gehirn",
        "wirbelsaule",
        "hals",
        "lws",
        "hws",
        "bws",
        "crane",
        "cerveau",
        "tete",
        "rachis",
        "cou",
        "encephale",
        "cranio",
        "cervello",
        "testa",
        "colonna",
        "collo",
        "encefalo",
    ),
    "msk": (
        "knee",
        "shoulder",
        "hip",
        "ankle",
        "wrist",
        "elbow",
        "hand",
        "foot",
        "extremity",
        "joint",
        "knie",
        "schulter",
        "hufte",
        "sprunggelenk",
        "handgelenk",
        "ellbogen",
        "fuss",
        "gelenk",
        "genou",
        "epaule",
        "hanche",
        "cheville",
        "poignet",
        "coude",
        "pied",
        "main",
        "ginocchio",
        "spalla",
        "anca",
        "caviglia",
        "polso",
        "gomito",
        "piede",
        "mano",
    ),
    "chest": ("chest", "thorax", "lung", "thorac", "poumon", "torace", "polmone", "lunge"),
    "body": (
        "abdomen",
        "pelvis",
        "liver",
        "kidney",
        "pancreas",
        "abdo",
        "becken",
        "leber",
        "niere",
        "bassin",
        "foie",
        "rein",
        "addome",
        "bacino",
        "fegato",
        "rene",
    ),
}

NUCLEAR_MODALITIES = {"PT", "NM"}
RADIOGRAPHY_MODALITIES = {"CR", "DX"}


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _region(facts: DicomFacts) -> str | None:
    words = " ".join(
        _normalise(t) for t in (facts.body_part, facts.study_description, facts.series_description) if t
    )
    for region, keywords in REGIONS.items():
        if any(re.search(rf"\b{re.escape(k)}", words) for k in keywords):
            return region
    return None


def route_one(facts: DicomFacts) -> Subspecialty:
    modality = (facts.modality or "").upper()
    region = _region(facts)
    if modality == "MG" or region == "breast":
        return Subspecialty.BREAST
    if modality in NUCLEAR_MODALITIES:
        return Subspecialty.NUCLEAR
    if modality in RADIOGRAPHY_MODALITIES:
        return (
            Subspecialty.MSK
            if region == "msk"
            else Subspecialty.CHEST
            if region == "chest"
            else Subspecialty.BODY
        )
    if region == "neuro":
        return Subspecialty.NEURO
    if region == "msk":
        return Subspecialty.MSK
    if modality == "US":
        return Subspecialty.ULTRASOUND
    return Subspecialty.BODY


def route(studies: list[DicomFacts]) -> tuple[Subspecialty, str]:
    """The primary subspecialty for a case's diagnostic images, and why."""
    if not studies:
        return Subspecialty.BODY, "no diagnostic image header to route on; general body imaging"
    votes = Counter(route_one(f) for f in studies)
    primary, count = votes.most_common(1)[0]
    reason = f"{count} of {len(studies)} images route to {primary.value}"
    if len(votes) > 1:
        reason += "; the case also needs " + ", ".join(s.value for s in votes if s != primary)
    return primary, reason
