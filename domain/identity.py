"""Matching children by name: the same child is often typed differently by two agencies.

"Łukasz Wiśniewski" from the police and "Lukasz Wisniewski" from the school's export are
one child; the match must survive diacritics, case, spacing and a swapped name order.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher

#: Letters that Unicode does not decompose into a base letter plus a mark.
_FOLD = str.maketrans({"ł": "l", "Ł": "l", "ß": "ss", "ø": "o", "đ": "d"})
#: Similarity from which two full names are shown as a likely duplicate.
LIKELY_DUPLICATE = 0.8


def normalise_name(name: str) -> str:
    """Fold case, diacritics, hyphens and spacing so spellings of one name compare equal."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_FOLD))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.casefold().replace("-", " ").split())


def name_similarity(given_a: str, family_a: str, given_b: str, family_b: str) -> float:
    """Score 0..1 how alike two names are, tolerating a swap of given and family name."""
    a = normalise_name(f"{given_a} {family_a}")
    b = normalise_name(f"{given_b} {family_b}")
    swapped = normalise_name(f"{family_b} {given_b}")
    return max(SequenceMatcher(None, a, b).ratio(), SequenceMatcher(None, a, swapped).ratio())


def is_same_name(given_a: str, family_a: str, given_b: str, family_b: str) -> bool:
    """True when the names differ only in spelling details the folding removes."""
    return (normalise_name(given_a), normalise_name(family_a)) == (
        normalise_name(given_b),
        normalise_name(family_b),
    )
