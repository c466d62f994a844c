"""PESEL: the checksum digit, the century carried in the month, and the encoded birth date."""

from datetime import date

import pytest

from domain.pesel import birth_date_from_pesel, make_pesel, pesel_problem

# Check digits below were computed by hand from the weights 1-3-7-9, not with make_pesel.
VALID_1944 = "44051401359"


def test_a_well_formed_pesel_has_no_problem():
    assert pesel_problem(VALID_1944) is None


@pytest.mark.parametrize("pesel", ["4405140135", "440514013590", "4405140135X", " 4405140135", ""])
def test_anything_but_eleven_digits_is_refused(pesel):
    assert pesel_problem(pesel) == "must be exactly 11 digits"


@pytest.mark.parametrize("wrong_digit", ["0", "1", "2", "3", "4", "5", "6", "7", "8"])
def test_a_wrong_check_digit_is_refused(wrong_digit):
    assert pesel_problem(VALID_1944[:10] + wrong_digit) == "checksum digit does not match"


def test_a_swapped_pair_of_digits_breaks_the_checksum():
    swapped = VALID_1944[:6] + VALID_1944[7] + VALID_1944[6] + VALID_1944[8:]
    assert pesel_problem(swapped) == "checksum digit does not match"


@pytest.mark.parametrize(
    ("pesel", "born"),
    [
        ("85921501230", date(1885, 12, 15)),  # month + 80: 19th century
        ("15123104564", date(1915, 12, 31)),  # month as is: 20th century
        ("15323104560", date(2015, 12, 31)),  # month + 20: 21st century
        ("16222900000", date(2016, 2, 29)),  # a leap day in 2016
        ("04022900001", date(1904, 2, 29)),  # a leap day in 1904
        ("01621500001", date(2201, 2, 15)),  # month + 60: 23rd century
    ],
)
def test_the_month_offset_gives_the_century(pesel, born):
    assert pesel_problem(pesel) is None
    assert birth_date_from_pesel(pesel) == born


@pytest.mark.parametrize(
    "pesel",
    [
        "15022900007",  # 29 February 1915 did not exist
        "15222900003",  # 29 February 2015 did not exist
        "00422900005",  # 2100 is not a leap year
        "15130100007",  # month 13
        "14023000006",  # 30 February
    ],
)
def test_a_valid_checksum_over_an_impossible_date_is_refused(pesel):
    assert birth_date_from_pesel(pesel) is None
    assert pesel_problem(pesel) == "does not encode a valid date of birth"


@pytest.mark.parametrize(
    "born", [date(1885, 12, 15), date(1999, 1, 1), date(2000, 2, 29), date(2015, 12, 31), date(2024, 7, 9)]
)
@pytest.mark.parametrize("serial", [0, 1234, 9999])
def test_make_pesel_round_trips_the_birth_date(born, serial):
    pesel = make_pesel(born, serial)
    assert pesel_problem(pesel) is None
    assert birth_date_from_pesel(pesel) == born
    assert pesel[6:10] == f"{serial:04d}"


def test_make_pesel_agrees_with_a_hand_computed_number():
    assert make_pesel(date(1944, 5, 14), 135) == VALID_1944
    assert make_pesel(date(2015, 12, 31), 456) == "15323104560"
