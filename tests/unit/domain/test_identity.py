"""Matching names typed differently by two agencies."""

import pytest

from domain.identity import LIKELY_DUPLICATE, is_same_name, name_similarity, normalise_name


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("Łukasz Wiśniewski", "lukasz wisniewski"),
        ("ŁUKASZ WIŚNIEWSKI", "lukasz wisniewski"),
        ("Żaneta Źrebięcka-Ćwik", "zaneta zrebiecka cwik"),
        ("  Zoﬁa   Gąsiorowska ", "zofia gasiorowska"),
        ("Paweł Łódź", "pawel lodz"),
        ("Jan", "jan"),
    ],
)
def test_normalise_name_folds_case_diacritics_hyphens_and_spacing(typed, normal):
    assert normalise_name(typed) == normal


@pytest.mark.parametrize("letter", ["ą", "ć", "ę", "ł", "ń", "ó", "ś", "ź", "ż"])
def test_every_polish_letter_folds_to_a_plain_latin_letter(letter):
    folded = normalise_name(letter)
    assert len(folded) == 1
    assert folded.isascii()
    assert normalise_name(letter.upper()) == folded


def test_the_same_name_with_and_without_diacritics_is_the_same_name():
    assert is_same_name("Łukasz", "Wiśniewski", "Lukasz", "Wisniewski")


def test_a_different_name_is_not_the_same_name():
    assert not is_same_name("Łukasz", "Wiśniewski", "Łukasz", "Wiśniewska")


def test_swapped_names_are_not_the_same_name_but_fully_similar():
    assert not is_same_name("Jan", "Kowalski", "Kowalski", "Jan")
    assert name_similarity("Jan", "Kowalski", "Kowalski", "Jan") == 1.0


def test_diacritics_do_not_lower_similarity():
    assert name_similarity("Łukasz", "Wiśniewski", "Lukasz", "Wisniewski") == 1.0


def test_a_typing_slip_is_a_likely_duplicate():
    assert name_similarity("Łukasz", "Wiśniewski", "Lukas", "Wisnewski") >= LIKELY_DUPLICATE


def test_different_people_are_not_likely_duplicates():
    assert name_similarity("Ala", "Kot", "Zbigniew", "Brzęczyszczykiewicz") < LIKELY_DUPLICATE
