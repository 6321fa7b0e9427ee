"""How easy a patient-facing text is to read, by the formula each language uses.

| language | formula | target |
| --- | --- | --- |
| en | Flesch-Kincaid grade = 0.39·(words/sentences) + 11.8·(syllables/words) - 15.59 | ≤ 8 |
| de | Amstad = 180 - (words/sentences) - 58.5·(syllables/words) | ≥ 60 |
| it | Gulpease = 89 + (300·sentences - 10·letters)/words | ≥ 60 |
| fr | Kandel-Moles = 207 - 1.015·(words/sentences) - 73.6·(syllables/words) | ≥ 60 |

Everything here is a heuristic without dictionaries, so that it runs anywhere without data files;
the counts are close to a person's, not equal. The rules, and what they get wrong:

Sentences end at a line break, at "!" or "?", and at "." or "…" followed by a space or the end of
the text, unless a lower-case letter comes next ("ca. drei"). A "." does not end a sentence after
a known abbreviation ("Dr.", "bzw.", "Dott."), after a single letter ("z. B.", "A. Keller") or an
abbreviation written with dots ("e.g.", "z.B."), and, in German, after a one- or two-digit number, which is an
ordinal there ("am 3. Dezember", "der 5. Lendenwirbel"). A decimal point ("3.5 cm") is never a
sentence end, since no space follows it. "etc." and "usw." are not treated as abbreviations: they
often end a sentence.

Words are runs of letters and digits; an apostrophe or hyphen inside a word, and a decimal point
or comma between digits, keep it one word ("l'image", "follow-up", "3,5"). A number counts as a
word of one syllable (how a reader voices "3,5" cannot be known) and its digits count as letters.

Syllables are groups of vowels, corrected per language:
- en: "y" is a vowel except at the start of a word; a silent final "e" ("image"), "-es" ("bones", but
  not after s, x, z, ch, sh, c, g: "changes") and "-ed" ("looked", but not after t or d: "wanted")
  do not count, except consonant + "le(s)" ("possible", "tables"); "-ely" after a consonant loses
  its "e" ("likely"); the vowel pairs ia, io (not after c, s, t, g, x: "radio" but "lesion"), iu,
  eo (not after p, as in "people", nor in "-eous"), ua and uo (not after q or g) are two
  syllables. Words of three letters or fewer have one. Misses: "area", "fluid", "diet" (one short).
- de: every vowel group counts, the final "e" too, but a pair like a diphthong or long vowel (ai,
  au, äu, ei, eu, ey, ie, aa, ee, oo) is one syllable and other pairs are two ("Radiologie"); "qu" is
  a consonant; "ie" before "nt" or a final "n" is two ("Patient", "Arterien"); the prefixes "be-"
  and "ge-" before a vowel other than "i" are a syllable of their own ("beurteilen", "geeignet").
  Misses: "dient" (one too many), "Beule" (one too many).
- fr: a final mute "e" or "es" does not count when the word has another vowel ("image", but "les"),
  nor does the "u" of "gue"; "qu" is a consonant; "é" followed by a vowel other than a final "e"
  starts a new syllable ("créatinine"), and so does a vowel with a diaeresis ("naïf"). Misses: verb
  endings "-ent" count ("montrent" is two).
- it: the "i" of "ci", "gi", "sci", "gli" before a vowel is silent ("giorno"); "qu" is a consonant;
  rising and falling diphthongs (ia, ie, io, iu, ua, ue, uo, ui, ai, ei, oi, au, eu) and the
  triphthongs iai, iei, uoi, uai are one syllable unless the i or u is accented ("farmacìa"); other
  pairs are two ("aereo" is four). Gulpease counts letters, not syllables, so this is shown only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Formula(StrEnum):
    FLESCH_KINCAID_GRADE = "flesch_kincaid_grade"
    AMSTAD = "amstad"
    GULPEASE = "gulpease"
    KANDEL_MOLES = "kandel_moles"


@dataclass(frozen=True)
class Target:
    formula: Formula
    value: float
    higher_is_better: bool

    def met_by(self, value: float) -> bool:
        return value >= self.value if self.higher_is_better else value <= self.value


TARGETS: dict[str, Target] = {
    "en": Target(Formula.FLESCH_KINCAID_GRADE, 8.0, higher_is_better=False),
    "de": Target(Formula.AMSTAD, 60.0, higher_is_better=True),
    "fr": Target(Formula.KANDEL_MOLES, 60.0, higher_is_better=True),
    "it": Target(Formula.GULPEASE, 60.0, higher_is_better=True),
}
"""Per language (ISO 639-1 code): the formula, its target and which way is easier."""


@dataclass(frozen=True)
class SentenceScore:
    text: str
    words: int
    syllables: int
    letters: int
    impact: float
    """How much better the whole text would score without this sentence (rounded to one decimal;
    negative when the sentence makes the text easier, 0 for a text of one sentence)."""


@dataclass(frozen=True)
class ReadabilityScore:
    language: str
    formula: Formula
    value: float | None
    """Rounded to one decimal; None when the text has no words."""
    target: float
    higher_is_better: bool
    passes: bool
    """The rounded value meets the target; a text without words passes, as there is nothing to read."""
    words: int
    sentences: int
    syllables: int
    letters: int
    hardest_sentences: tuple[SentenceScore, ...]
    """Up to three sentences, the one that drags the score down most first: the ones to rewrite."""


# --- Formulas ----------------------------------------------------------------------------------


def flesch_kincaid_grade(words: int, sentences: int, syllables: int) -> float:
    """US school grade needed to understand the text (English); lower is easier."""
    return 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59


def amstad(words: int, sentences: int, syllables: int) -> float:
    """Flesch reading ease adapted to German, 0 (hard) to 100 (easy)."""
    return 180 - (words / sentences) - 58.5 * (syllables / words)


def kandel_moles(words: int, sentences: int, syllables: int) -> float:
    """Flesch reading ease adapted to French, 0 (hard) to 100 (easy)."""
    return 207 - 1.015 * (words / sentences) - 73.6 * (syllables / words)


def gulpease(words: int, sentences: int, letters: int) -> float:
    """Gulpease index (Italian), 0 (hard) to 100 (easy); it counts letters, not syllables."""
    return 89 + (300 * sentences - 10 * letters) / words


def _formula_value(formula: Formula, words: int, sentences: int, syllables: int, letters: int) -> float:
    if formula is Formula.GULPEASE:
        return gulpease(words, sentences, letters)
    by_syllables = {
        Formula.FLESCH_KINCAID_GRADE: flesch_kincaid_grade,
        Formula.AMSTAD: amstad,
        Formula.KANDEL_MOLES: kandel_moles,
    }
    return by_syllables[formula](words, sentences, syllables)


# --- Sentences ---------------------------------------------------------------------------------

_ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": frozenset({"dr", "mr", "mrs", "ms", "prof", "st", "vs", "approx", "fig", "cf", "incl", "dept"}),
    "de": frozenset(
        {"dr", "prof", "nr", "ca", "bzw", "evtl", "ggf", "inkl", "vgl", "sog", "bspw", "mind", "str", "abb"}
    ),
    "fr": frozenset({"dr", "pr", "mme", "mlle", "env", "cf", "ex", "fig", "vol", "réf"}),
    "it": frozenset({"dr", "dott", "prof", "sig", "sigg", "ca", "es", "cfr", "pag", "fig", "rif"}),
}
"""Words that are written with a period but do not end a sentence (without the period)."""

# French sets a closing guillemet off with a (non-breaking) space: « C'est normal. »
_TERMINATOR = re.compile(
    r"(?P<punct>[.!?\u2026]+)(?P<close>(?:[ \u00a0\u202f]?\u00bb)?[\"'\u201d\u2019)\]]*)(?=\s|$)"
)
_LEADING_PUNCTUATION = "([{\u00ab\u201e\u201c\u2018\"'"


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")


def _is_sentence_end(line: str, match: re.Match[str], language: str) -> bool:
    punct = match.group("punct")
    if "!" in punct or "?" in punct:
        return True
    rest = line[match.end() :].lstrip()
    if rest and rest[0].islower():
        return False
    if punct != ".":
        return True
    before = line[: match.start()].rsplit(maxsplit=1)
    token = before[-1].lstrip(_LEADING_PUNCTUATION) if before else ""
    if not token:
        return True
    if token.casefold() in _ABBREVIATIONS[language] or (len(token) == 1 and token.isalpha()):
        return False
    parts = token.split(".")
    if len(parts) > 1 and all(part.isalpha() and len(part) <= 3 for part in parts):
        return False
    return not (language == "de" and token.isdigit() and len(token) <= 2 and bool(rest))


def split_sentences(text: str, language: str) -> list[str]:
    """The sentences of ``text``, each stripped; lines without a word are left out."""
    language = _checked(language)
    sentences = []
    for line in _normalize(text).split("\n"):
        start = 0
        for match in _TERMINATOR.finditer(line):
            if _is_sentence_end(line, match, language):
                sentences.append(line[start : match.end()])
                start = match.end()
        sentences.append(line[start:])
    return [sentence.strip() for sentence in sentences if split_words(sentence)]


# --- Words, letters, syllables -----------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+(?:(?:['\u2019\u02bc\-]|(?<=\d)[.,](?=\d))[^\W_]+)*")


def split_words(text: str) -> list[str]:
    """Runs of letters and digits, kept whole across an inner apostrophe, hyphen or decimal mark."""
    return _WORD.findall(_normalize(text))


def count_letters(word: str) -> int:
    """Letters and digits, the characters a reader has to take in."""
    return sum(1 for char in word if char.isalnum())


def count_syllables(word: str, language: str) -> int:
    """Syllables of one word by the language's heuristic (see the module docstring); at least 1."""
    counter = _SYLLABLE_COUNTERS[_checked(language)]
    total = 0
    for part in filter(None, word.casefold().split("-")):
        letters = "".join(char for char in part if char.isalpha())
        total += max(1, counter(letters)) if letters else 1  # a number is one syllable
    return max(1, total)


def _vowel_groups(word: str, vowels: str) -> list[str]:
    return re.findall(f"[{vowels}]+", word)


_EN_VOWELS = "aeiouy"
_EN_HIATUS = re.compile(r"(?<![cstgq])ia|(?<![cstgx])io|(?<!q)iu|(?<!p)eo(?!u)|(?<![qg])u[ao]")


_EN_SILENT_ENDINGS = (
    # (ending whose last vowel is silent, unless the word ends like this)
    (re.compile(r"[^aeiouy]e$"), re.compile(r"[^aeiouy]le$")),
    (re.compile(r"[^aeiouy]es$"), re.compile(r"(?:[sxzcg]|ch|sh|[^aeiouy]l)es$")),
    (re.compile(r"[^aeiouy]ed$"), re.compile(r"[td]ed$")),
    (re.compile(r"[^aeiouy]ely$"), None),
)


def _english(word: str) -> int:
    if len(word) <= 3:
        return 1
    if word.startswith("y"):
        word = "j" + word[1:]
    count = len(_vowel_groups(word, _EN_VOWELS)) + len(_EN_HIATUS.findall(word))
    silent = any(
        ending.search(word) and not (unless and unless.search(word)) for ending, unless in _EN_SILENT_ENDINGS
    )
    return count - silent


_DE_VOWELS = "aeiouyäöü"
_DE_PAIRS = frozenset({"ai", "au", "äu", "ei", "eu", "ey", "ay", "ie", "aa", "ee", "oo"})


def _split_groups(word: str, vowels: str, one_syllable: Callable[[str], bool]) -> int:
    """Syllables in the vowel groups, read left to right: three or two vowels that
    ``one_syllable`` accepts are one syllable, any other vowel is one of its own."""
    count = 0
    for group in _vowel_groups(word, vowels):
        i = 0
        while i < len(group):
            i += next((n for n in (3, 2) if len(group) - i >= n and one_syllable(group[i : i + n])), 1)
            count += 1
    return count


def _german(word: str) -> int:
    word = word.replace("qu", "qv")
    prefix = 0
    if re.match(f"[bg]e[{_DE_VOWELS.replace('i', '')}]", word):
        prefix, word = 1, word[2:]
    hiatus = len(re.findall(r"ie(?=nt|n$)", word))
    return prefix + _split_groups(word, _DE_VOWELS, _DE_PAIRS.__contains__) + hiatus


_FR_VOWELS = "aeiouyàâäéèêëîïôöûùüÿæœ"


def _french(word: str) -> int:
    word = re.sub(r"qu", "k", word)
    word = re.sub(r"gu(?=[eéèêiîy])", "g", word)
    if len(_vowel_groups(word, _FR_VOWELS)) > 1:
        word = re.sub(f"(?<=[^{_FR_VOWELS}])es?$", "", word)
    count = 0
    for group in _vowel_groups(word, _FR_VOWELS):
        count += 1
        # é before another vowel, and a vowel with a diaeresis after one, start a new syllable
        count += len(re.findall(r"é(?=[aeiouyàâéèêîôû])", group)) + len(re.findall(r"(?<=.)[ëïü]", group))
    if re.search(r"é(?:es?)$", word):
        count -= 1  # "-ée", "-ées": the final e stays mute
    return count


_IT_VOWELS = "aeiouyàèéìíòóùú"
_IT_PAIRS = frozenset({"ia", "ie", "io", "iu", "ua", "ue", "uo", "ui", "ai", "ei", "oi", "au", "eu"})
_IT_TRIPLES = frozenset({"iai", "iei", "uoi", "uai"})
_IT_ACCENTED_GLIDES = frozenset("ìíùú")


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _italian_glide(vowels: str) -> bool:
    """One syllable, unless the i or u that glides (the first in "ia", the last in "ai") is stressed."""
    base = _unaccented(vowels)
    if base not in _IT_PAIRS and base not in _IT_TRIPLES:
        return False
    glide = vowels[0] if base[0] in "iu" else vowels[-1]
    return glide not in _IT_ACCENTED_GLIDES


def _italian(word: str) -> int:
    word = word.replace("qu", "q")
    word = re.sub(r"(?<=[cg])i(?=[aeouàèéòóù])", "", word)
    return _split_groups(word, _IT_VOWELS, _italian_glide)


_SYLLABLE_COUNTERS: dict[str, Callable[[str], int]] = {
    "en": _english,
    "de": _german,
    "fr": _french,
    "it": _italian,
}


def _checked(language: str) -> str:
    code = str(language)
    if code not in TARGETS:
        raise ValueError(f"No readability formula for language {code!r}; expected one of {sorted(TARGETS)}.")
    return code


# --- Score -------------------------------------------------------------------------------------


def score(text: str, language: str) -> ReadabilityScore:
    """Score ``text`` by its language's formula, with the three sentences that drag it down most.

    A sentence's drag is the whole text's score minus the score of the text without it, so a long
    sentence of long words ranks first and a short one ("Cancéreux.") does not, whatever its own
    score would be.
    """
    code = _checked(language)
    target = TARGETS[code]
    counted = []
    for sentence in split_sentences(text, code):
        tokens = split_words(sentence)
        syllable_count = sum(count_syllables(token, code) for token in tokens)
        counted.append((sentence, len(tokens), syllable_count, sum(count_letters(token) for token in tokens)))
    words = sum(c[1] for c in counted)
    syllables = sum(c[2] for c in counted)
    letters = sum(c[3] for c in counted)
    sentences = len(counted)
    if not words:
        return ReadabilityScore(
            code, target.formula, None, target.value, target.higher_is_better, True, 0, 0, 0, 0, ()
        )
    raw = _formula_value(target.formula, words, sentences, syllables, letters)
    direction = 1 if target.higher_is_better else -1
    scored: list[tuple[float, SentenceScore]] = []
    for sentence, sentence_words, sentence_syllables, sentence_letters in counted:
        impact = 0.0
        if sentences > 1:
            without = _formula_value(
                target.formula,
                words - sentence_words,
                sentences - 1,
                syllables - sentence_syllables,
                letters - sentence_letters,
            )
            impact = direction * (without - raw)
        counts = SentenceScore(
            sentence, sentence_words, sentence_syllables, sentence_letters, round(impact, 1)
        )
        scored.append((impact, counts))
    # sorted() is stable, so sentences that drag equally stay in reading order
    hardest = tuple(counts for _, counts in sorted(scored, key=lambda pair: -pair[0])[:3])
    value = round(raw, 1)
    return ReadabilityScore(
        language=code,
        formula=target.formula,
        value=value,
        target=target.value,
        higher_is_better=target.higher_is_better,
        passes=target.met_by(value),
        words=words,
        sentences=sentences,
        syllables=syllables,
        letters=letters,
        hardest_sentences=hardest,
    )
