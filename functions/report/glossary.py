"""A curated glossary of common radiology words, explained in plain language in every language.

``glossary.json`` beside this module maps a term's key to its entry per language: the term as the
patient reads it, the other forms the radiologist may write (plurals, adjectives, other spellings,
acronyms) and a short definition in everyday words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from secondopinion.models import Language

GLOSSARY_PATH = Path(__file__).resolve().parent / "glossary.json"

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class GlossaryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    term: _Text
    aliases: tuple[_Text, ...] = ()
    definition: _Text

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


class Glossary(BaseModel):
    """Every term in every language; a term missing a language is an error, not a gap."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: dict[str, dict[Language, GlossaryEntry]] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_language(self) -> Glossary:
        for key, entries in self.terms.items():
            missing = set(Language) - set(entries)
            if missing:
                raise ValueError(f"glossary term {key!r} lacks {sorted(missing)}")
        return self

    @classmethod
    def from_json(cls, path: Path) -> Glossary:
        return cls.model_validate_json(f'{{"terms": {path.read_text(encoding="utf-8")}}}')

    @staticmethod
    @cache
    def shipped() -> Glossary:
        """``glossary.json`` beside this module, read once per process."""
        return Glossary.from_json(GLOSSARY_PATH)

    @cached_property
    def _patterns(self) -> dict[Language, list[tuple[re.Pattern[str], str]]]:
        return {
            language: [
                (_form_pattern(form), key)
                for key, entries in self.terms.items()
                for form in entries[language].forms
            ]
            for language in Language
        }

    def find(self, texts: Iterable[str], language: Language) -> list[GlossaryEntry]:
        """The entries whose term or alias occurs in ``texts``, sorted by term as the language does.

        A form matches as whole words, ignoring case, except an acronym written in capitals ("CT",
        "PET scan"), which must be in capitals in the text too: "a pet" is no PET scan. Where forms
        overlap ("ernia del disco" holds "ernia" and "disco"), the longest wins, so the patient gets
        the one entry that fits.
        """
        text = "\n".join(texts)
        spans = [
            (match.start(), match.end(), key)
            for pattern, key in self._patterns[language]
            for match in pattern.finditer(text)
        ]
        taken: list[tuple[int, int]] = []
        found: set[str] = set()
        for start, end, key in sorted(spans, key=lambda span: (span[0] - span[1], span[0])):
            if all(end <= other_start or start >= other_end for other_start, other_end in taken):
                taken.append((start, end))
                found.add(key)
        entries = [self.terms[key][language] for key in found]
        return sorted(entries, key=lambda entry: (_sort_key(entry.term), entry.term))


def _form_pattern(form: str) -> re.Pattern[str]:
    """Whole words, any spacing between them, any case except in acronyms ("PET", "PET-CT")."""
    words = []
    for word in form.split():
        letters = [char for char in word if char.isalpha()]
        acronym = len(letters) >= 2 and all(char.isupper() for char in letters)
        words.append(f"(?-i:{re.escape(word)})" if acronym else re.escape(word))
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _sort_key(term: str) -> str:
    """Alphabetical the way a dictionary sorts: accents and case do not change the order."""
    decomposed = unicodedata.normalize("NFKD", term.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).replace("œ", "oe")
