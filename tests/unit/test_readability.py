"""Readability of patient text: sentence, word and syllable counts, and each language's formula.

The reference values are worked out by hand in the comments, from counts a person can check.
"""

from __future__ import annotations

import pytest
from secondopinion.readability import (
    TARGETS,
    Formula,
    amstad,
    count_letters,
    count_syllables,
    flesch_kincaid_grade,
    gulpease,
    kandel_moles,
    score,
    split_sentences,
    split_words,
)

# --- The formulas on the reference samples -----------------------------------------------------


def test_english_flesch_kincaid_grade_of_a_short_text():
    # Given two sentences:
    #   The(1) radiologist(5: ra-di-ol-o-gist) found(1) a(1) small(1) tear(1) in(1) the(1)
    #   meniscus(3: me-nis-cus)                         -> 9 words, 15 syllables
    #   It(1) is(1) not(1) serious(3: se-ri-ous)          -> 4 words, 6 syllables
    # so 13 words, 2 sentences, 21 syllables:
    #   0.39 * 13/2 + 11.8 * 21/13 - 15.59 = 2.535 + 19.0615 - 15.59 = 6.0065 -> 6.0
    text = "The radiologist found a small tear in the meniscus. It is not serious."

    # When it is scored
    result = score(text, "en")

    # Then the counts and the grade are the hand-computed ones, within the target of grade 8
    assert (result.words, result.sentences, result.syllables) == (13, 2, 21)
    assert result.formula is Formula.FLESCH_KINCAID_GRADE
    assert result.value == 6.0
    assert (result.target, result.higher_is_better, result.passes) == (8.0, False, True)


def test_german_amstad_of_a_short_text():
    # Given two sentences:
    #   Die(1) Zyste(2: Zys-te) ist(1) klein(1)                                  -> 4 words, 5 syllables
    #   Sie(1) ist(1) harmlos(2) und(1) muss(1) nicht(1) behandelt(3) werden(2)  -> 8 words, 12 syllables
    # so 12 words, 2 sentences, 17 syllables:
    #   180 - 12/2 - 58.5 * 17/12 = 180 - 6 - 82.875 = 91.125 -> 91.1
    text = "Die Zyste ist klein. Sie ist harmlos und muss nicht behandelt werden."

    # When it is scored
    result = score(text, "de")

    # Then the counts and the Amstad index are the hand-computed ones, above the target of 60
    assert (result.words, result.sentences, result.syllables) == (12, 2, 17)
    assert (result.formula, result.value, result.passes) == (Formula.AMSTAD, 91.1, True)


def test_german_text_with_long_words_fails_the_amstad_target():
    # Given one sentence of long words:
    #   Die(1) Untersuchung(4: Un-ter-su-chung) zeigt(1) eine(2: ei-ne)
    #   degenerative(6: de-ge-ne-ra-ti-ve) Veränderung(4: Ver-än-de-rung) des(1)
    #   Innenmeniskus(5: In-nen-me-nis-kus)                       -> 8 words, 24 syllables
    #   180 - 8/1 - 58.5 * 24/8 = 180 - 8 - 175.5 = -3.5
    text = "Die Untersuchung zeigt eine degenerative Veränderung des Innenmeniskus."

    # When it is scored
    result = score(text, "de")

    # Then it is far below 60 and does not pass
    assert (result.words, result.syllables, result.value, result.passes) == (8, 24, -3.5, False)


def test_french_kandel_moles_of_a_short_text():
    # Given two sentences (a final mute e is no syllable of its own):
    #   Le(1) radiologue(3: ra-dio-logue) a(1) comparé(3: com-pa-ré) les(1) images(2: i-mages)
    #                                                  -> 6 words, 11 syllables
    #   La(1) lésion(2: lé-sion) est(1) stable(1: stable)  -> 4 words, 5 syllables
    # so 10 words, 2 sentences, 16 syllables:
    #   207 - 1.015 * 10/2 - 73.6 * 16/10 = 207 - 5.075 - 117.76 = 84.165 -> 84.2
    text = "Le radiologue a comparé les images. La lésion est stable."

    # When it is scored
    result = score(text, "fr")

    # Then the counts and the Kandel-Moles index are the hand-computed ones
    assert (result.words, result.sentences, result.syllables) == (10, 2, 16)
    assert (result.formula, result.value, result.passes) == (Formula.KANDEL_MOLES, 84.2, True)


def test_italian_gulpease_counts_letters():
    # Given two sentences, letters per word in brackets:
    #   Il(2) menisco(7) ha(2) una(3) piccola(7) lesione(7)             -> 6 words, 28 letters
    #   Il(2) medico(6) deve(4) controllare(11) la(2) risonanza(9)      -> 6 words, 34 letters
    # so 12 words, 2 sentences, 62 letters:
    #   89 + (300 * 2 - 10 * 62) / 12 = 89 + (600 - 620) / 12 = 89 - 1.667 = 87.333 -> 87.3
    # Syllables are counted too, though Gulpease does not use them:
    #   1 + 3 + 1 + 2 + 3 + 3 (le-sio-ne) = 13 and 1 + 3 + 2 + 4 (con-trol-la-re) + 1 + 4 = 15
    text = "Il menisco ha una piccola lesione. Il medico deve controllare la risonanza."

    # When it is scored
    result = score(text, "it")

    # Then the counts and the Gulpease index are the hand-computed ones
    assert (result.words, result.sentences, result.letters, result.syllables) == (12, 2, 62, 28)
    assert (result.formula, result.value, result.passes) == (Formula.GULPEASE, 87.3, True)


@pytest.mark.parametrize(
    ("formula", "counts", "expected"),
    [
        # 0.39 * 100/5 + 11.8 * 150/100 - 15.59 = 7.8 + 17.7 - 15.59 = 9.91
        (flesch_kincaid_grade, (100, 5, 150), 9.91),
        # 180 - 100/5 - 58.5 * 150/100 = 180 - 20 - 87.75 = 72.25
        (amstad, (100, 5, 150), 72.25),
        # 207 - 1.015 * 100/5 - 73.6 * 150/100 = 207 - 20.3 - 110.4 = 76.3
        (kandel_moles, (100, 5, 150), 76.3),
        # 89 + (300 * 5 - 10 * 450) / 100 = 89 + (1500 - 4500) / 100 = 59
        (gulpease, (100, 5, 450), 59.0),
    ],
)
def test_formulas_match_their_definitions(formula, counts, expected):
    # Given / when the formula is applied to round counts / then it gives the value worked out by hand
    assert formula(*counts) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("language", "formula", "target", "higher_is_better"),
    [
        ("en", Formula.FLESCH_KINCAID_GRADE, 8.0, False),
        ("de", Formula.AMSTAD, 60.0, True),
        ("fr", Formula.KANDEL_MOLES, 60.0, True),
        ("it", Formula.GULPEASE, 60.0, True),
    ],
)
def test_each_language_has_its_formula_and_target(language, formula, target, higher_is_better):
    # Given / when the targets are read / then they are DOMAIN.md's
    t = TARGETS[language]
    assert (t.formula, t.value, t.higher_is_better) == (formula, target, higher_is_better)


def test_a_score_exactly_on_the_target_passes():
    # Given the targets / when a value sits exactly on them / then it passes, and just past it does not
    assert TARGETS["en"].met_by(8.0) and not TARGETS["en"].met_by(8.1)
    assert TARGETS["de"].met_by(60.0) and not TARGETS["de"].met_by(59.9)


# --- Edge cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\n ", "... \u2013 !"])
def test_text_without_words_has_no_value_and_passes(text):
    # Given text with nothing to read
    # When it is scored
    result = score(text, "de")

    # Then there is no value, nothing to rewrite, and it does not fail the target
    assert (result.value, result.words, result.sentences, result.hardest_sentences) == (None, 0, 0, ())
    assert result.passes


def test_one_word_is_one_sentence():
    # Given a single word without punctuation:
    #   Knee(1) -> 1 word, 1 sentence, 1 syllable: 0.39 * 1 + 11.8 * 1 - 15.59 = -3.4
    # When it is scored
    result = score("Knee", "en")

    # Then it is one sentence, and the only one to show
    assert (result.words, result.sentences, result.syllables, result.value) == (1, 1, 1, -3.4)
    assert [s.text for s in result.hardest_sentences] == ["Knee"]
    assert result.hardest_sentences[0].impact == 0.0


def test_an_unknown_language_is_refused():
    # Given / when a language without a formula is scored / then it is an error, not a guess
    with pytest.raises(ValueError, match="es"):
        score("Hola.", "es")


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("de", "Es gibt z. B. eine Zyste. Sie ist klein.", ["Es gibt z. B. eine Zyste.", "Sie ist klein."]),
        ("de", "Vgl. die Aufnahme bzw. den Befund. Gut.", ["Vgl. die Aufnahme bzw. den Befund.", "Gut."]),
        ("en", "Dr. Keller read the scan. It is fine.", ["Dr. Keller read the scan.", "It is fine."]),
        ("en", "It measures 3.5 cm. That is small.", ["It measures 3.5 cm.", "That is small."]),
        ("en", "Rest it, e.g. with a brace. Then walk.", ["Rest it, e.g. with a brace.", "Then walk."]),
        ("en", "Ask A. Keller. She knows.", ["Ask A. Keller.", "She knows."]),
        ("en", "Is it torn? No! It is fine.", ["Is it torn?", "No!", "It is fine."]),
        (
            "fr",
            "M. Dupont va bien. « C\u2019est normal. » Rien d\u2019autre.",
            ["M. Dupont va bien.", "« C\u2019est normal. »", "Rien d\u2019autre."],
        ),
        (
            "it",
            "Il Dott. Rossi ha letto l\u2019esame. Va bene.",
            ["Il Dott. Rossi ha letto l\u2019esame.", "Va bene."],
        ),
        (
            "de",
            "Am 3. Dezember kam der Befund. Das war 2019. Dann nicht mehr.",
            ["Am 3. Dezember kam der Befund.", "Das war 2019.", "Dann nicht mehr."],
        ),
        ("en", "The scan is done... it looks fine.", ["The scan is done... it looks fine."]),
        (
            "en",
            "Points to discuss\n- physiotherapy\n- a brace",
            ["Points to discuss", "- physiotherapy", "- a brace"],
        ),
    ],
)
def test_sentences_end_where_a_reader_would_end_them(language, text, expected):
    # Given text with abbreviations, initials, decimals, ordinals, quotes and line breaks
    # When it is split into sentences
    # Then only real sentence ends split it
    assert split_sentences(text, language) == expected


def test_decimal_points_and_commas_keep_a_number_one_word():
    # Given measurements written with a decimal point, a decimal comma and a range
    # When the words are split out
    words = split_words("3.5 cm, 3,5 cm und C3-C4, l\u2019image, follow-up")

    # Then each number, elision and hyphenated word is one word
    assert words == ["3.5", "cm", "3,5", "cm", "und", "C3-C4", "l\u2019image", "follow-up"]


def test_a_number_counts_as_one_syllable_and_its_digits_as_letters():
    # Given / when a number is counted / then it is one syllable and its digits count as letters
    assert count_syllables("3,5", "de") == 1
    assert count_letters("3,5") == 2


def test_the_abbreviation_z_b_counts_as_two_short_words():
    # Given the German abbreviation "z. B." inside a sentence:
    #   Es(1) gibt(1) z(1) B(1) eine(2) Zyste(2) -> 6 words, 8 syllables, 1 sentence
    # When it is scored
    result = score("Es gibt z. B. eine Zyste.", "de")

    # Then it neither ends the sentence nor vanishes from the counts
    assert (result.words, result.sentences, result.syllables) == (6, 1, 8)


# --- Syllables per language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "word", "syllables"),
    [
        # English: silent final e, -es, -ed, -ely; consonant + le; vowel pairs that are two
        ("en", "image", 2), ("en", "images", 3), ("en", "possible", 3), ("en", "nodule", 2),
        ("en", "tables", 2), ("en", "bones", 1), ("en", "changes", 2), ("en", "looked", 1),
        ("en", "wanted", 2), ("en", "likely", 2), ("en", "radio", 3), ("en", "lesion", 2),
        ("en", "usual", 3), ("en", "video", 3), ("en", "people", 2), ("en", "calcium", 3),
        ("en", "quality", 3), ("en", "yes", 1), ("en", "cyst", 1), ("en", "follow-up", 3),
        # German: final e counts, diphthongs are one, hiatus two, be-/ge- before a vowel
        ("de", "Radiologie", 5), ("de", "Beurteilung", 4), ("de", "geeignet", 3), ("de", "beide", 2),
        ("de", "Patient", 3), ("de", "Arterien", 4), ("de", "Zyste", 2), ("de", "Ödem", 2),
        ("de", "Quelle", 2), ("de", "neue", 2), ("de", "Läsion", 3), ("de", "Flüssigkeit", 3),
        ("de", "Größe", 2), ("de", "Aneurysma", 4),
        # French: mute final e and es, é before a vowel, diaeresis, qu and gu
        ("fr", "image", 2), ("fr", "les", 1), ("fr", "une", 1), ("fr", "radiologie", 4),
        ("fr", "réalité", 4), ("fr", "pancréatite", 4), ("fr", "naïf", 2), ("fr", "année", 2),
        ("fr", "œdème", 2), ("fr", "ménisque", 2), ("fr", "médecin", 3), ("fr", "épanchement", 4),
        # Italian: silent i in ci/gi, diphthongs and triphthongs one, hiatus two, stressed glide
        ("it", "ginocchio", 3), ("it", "giallo", 2), ("it", "cielo", 2), ("it", "famiglia", 3),
        ("it", "più", 1), ("it", "perché", 2), ("it", "buoi", 1), ("it", "aiuto", 3),
        ("it", "quando", 2), ("it", "aereo", 4), ("it", "farmacìa", 4), ("it", "versamento", 4),
    ],
)  # fmt: skip
def test_syllables_follow_the_languages_rules(language, word, syllables):
    # Given / when a word's syllables are counted / then the language's rules give the right count
    assert count_syllables(word, language) == syllables


# --- The sentences to rewrite -------------------------------------------------------------------


def test_the_sentence_that_drags_the_score_down_most_comes_first():
    # Given short plain sentences, one long technical one and a one-word one
    text = (
        "Your knee is fine. "
        "The examination demonstrates degenerative intrasubstance signal alteration of the posterior horn. "
        "Rest it. "
        "Cancerous. "
        "See your doctor soon."
    )

    # When it is scored
    result = score(text, "en")

    # Then the long technical sentence leads, and at most three are listed
    hardest = result.hardest_sentences
    assert hardest[0].text.startswith("The examination demonstrates")
    assert hardest[0].impact > 0
    assert len(hardest) == 3


def test_sentences_that_drag_equally_keep_their_reading_order():
    # Given four identical sentences
    text = "It is fine. It is fine. It is fine. It is fine."

    # When it is scored / then the first three are listed, in order, none dragging the score
    result = score(text, "en")
    assert [s.impact for s in result.hardest_sentences] == [0.0, 0.0, 0.0]
    assert len(result.hardest_sentences) == 3
