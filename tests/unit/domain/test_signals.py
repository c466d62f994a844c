"""The signal catalogue: which agency raises which concern, how serious, in which language."""

import pytest

from domain.agencies import AGENCY_KINDS
from domain.errors import InvalidInput
from domain.signals import (
    CATALOGUE,
    CATEGORIES,
    SEVERITIES,
    check_severity,
    check_submittable,
    kinds_for_agency,
    signal_kind,
)

#: The kinds issue 2 asks for by name.
REQUIRED_CODES = {
    "missed_remote_learning",
    "unexplained_absence",
    "injury_observed",
    "disclosure_by_child",
    "neglect_observed",
    "behaviour_change",
    "lack_of_learning_conditions",
    "domestic_intervention",
    "child_secured",
    "home_visit",
    "welfare_concern",
    "court_supervision_report",
    "health_referral",
    "injury_treated",
    "addiction_referral",
    "day_centre_attendance_drop",
}


def test_the_catalogue_holds_every_required_kind():
    assert REQUIRED_CODES <= set(CATALOGUE)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_row_is_well_formed(code):
    row = CATALOGUE[code]
    assert row.code == code
    assert row.default_severity in SEVERITIES
    assert row.category in CATEGORIES
    assert row.agency_kinds
    assert row.agency_kinds <= set(AGENCY_KINDS)
    assert row.quantity in (None, "days")


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_row_has_a_polish_and_an_english_label(code):
    row = CATALOGUE[code]
    assert row.label_pl.strip()
    assert row.label_en.strip()
    assert row.label_pl != row.label_en
    assert row.label("pl") == row.label_pl
    assert row.label("en") == row.label_en


def test_labels_are_polish_by_default():
    assert CATALOGUE["home_visit"].label("de") == "Wizyta w środowisku"


def test_missed_remote_learning_is_a_low_school_signal_counted_in_days():
    row = CATALOGUE["missed_remote_learning"]
    assert (row.default_severity, row.agency_kinds, row.quantity) == ("low", frozenset({"school"}), "days")


def test_every_agency_kind_can_raise_some_signal():
    for kind in AGENCY_KINDS:
        assert kinds_for_agency(kind), kind


def test_kinds_for_agency_lists_exactly_the_rows_naming_it():
    police = {k.code for k in kinds_for_agency("police")}
    assert "domestic_intervention" in police
    assert "missed_remote_learning" not in police
    assert police == {code for code, row in CATALOGUE.items() if "police" in row.agency_kinds}


def test_kinds_for_an_unknown_agency_kind_is_empty():
    assert kinds_for_agency("bakery") == []


def test_check_submittable_returns_the_row():
    assert check_submittable("domestic_intervention", "police") is CATALOGUE["domestic_intervention"]


def test_check_submittable_names_the_allowed_kinds():
    with pytest.raises(InvalidInput) as excinfo:
        check_submittable("domestic_intervention", "school")
    [message] = excinfo.value.errors["kind"]
    assert "'domestic_intervention'" in message
    assert "'school'" in message
    for row in kinds_for_agency("school"):
        assert row.code in message


def test_check_submittable_refuses_an_unknown_code_listing_the_known_ones():
    with pytest.raises(InvalidInput) as excinfo:
        check_submittable("nope", "school")
    [message] = excinfo.value.errors["kind"]
    assert "unknown signal kind 'nope'" in message
    assert "missed_remote_learning" in message


def test_signal_kind_returns_the_row():
    assert signal_kind("home_visit").default_severity == "info"


@pytest.mark.parametrize("severity", SEVERITIES)
def test_check_severity_accepts_the_scale(severity):
    assert check_severity(severity) == severity


@pytest.mark.parametrize("severity", ["", "HIGH", "urgent"])
def test_check_severity_refuses_anything_else(severity):
    with pytest.raises(InvalidInput) as excinfo:
        check_severity(severity)
    assert list(excinfo.value.errors) == ["severity"]
