"""The signal catalogue: which concerns each kind of agency can raise, and how serious.

The catalogue is data, not code paths: a new kind of signal is a new row. Each row
names its data category, which the need-to-know policy uses to decide who may read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.agencies import AgencyKind as A
from domain.errors import InvalidInput

SEVERITIES = ("info", "low", "medium", "high", "critical")

#: Data categories the law lets the interdisciplinary team process, plus the everyday ones.
CATEGORIES = ("education", "safety", "family", "health", "addiction", "conviction", "housing")


@dataclass(frozen=True)
class SignalKind:
    """One row of the catalogue."""

    code: str
    label_pl: str
    label_en: str
    default_severity: str
    agency_kinds: frozenset[str]
    category: str
    #: Name of a whole-number quantity the signal carries (e.g. days missed), if any.
    quantity: str | None = None

    def label(self, language: str) -> str:
        """Return the label in the requested language (Polish by default)."""
        return self.label_en if language == "en" else self.label_pl


def _kinds(*kinds: A) -> frozenset[str]:
    return frozenset(k.value for k in kinds)


_EVERY = _kinds(*A)
_FIELD_WORKERS = _kinds(A.SCHOOL, A.OPS, A.POLICE, A.HEALTH, A.DAY_CENTRE, A.PCPR, A.NGO, A.COURT_CURATOR)

CATALOGUE: dict[str, SignalKind] = {
    k.code: k
    for k in (
        SignalKind(
            "missed_remote_learning",
            "Brak logowania do nauki zdalnej",
            "Missed remote-learning logins",
            "low",
            _kinds(A.SCHOOL),
            "education",
            quantity="days",
        ),
        SignalKind(
            "unexplained_absence",
            "Nieusprawiedliwiona nieobecność",
            "Unexplained absence",
            "low",
            _kinds(A.SCHOOL, A.DAY_CENTRE),
            "education",
            quantity="days",
        ),
        SignalKind("injury_observed", "Zauważone obrażenia", "Injury observed", "high", _FIELD_WORKERS, "safety"),
        SignalKind(
            "disclosure_by_child", "Ujawnienie przez dziecko", "Disclosure by the child", "critical", _EVERY, "safety"
        ),
        SignalKind("neglect_observed", "Zauważone zaniedbanie", "Neglect observed", "medium", _FIELD_WORKERS, "family"),
        SignalKind(
            "behaviour_change",
            "Zmiana zachowania",
            "Behaviour change",
            "low",
            _kinds(A.SCHOOL, A.DAY_CENTRE, A.NGO, A.HEALTH, A.PCPR, A.OPS),
            "family",
        ),
        SignalKind(
            "lack_of_learning_conditions",
            "Brak warunków do nauki",
            "Lack of learning conditions",
            "low",
            _kinds(A.SCHOOL, A.OPS, A.DAY_CENTRE),
            "housing",
        ),
        SignalKind(
            "domestic_intervention", "Interwencja domowa", "Domestic intervention", "high", _kinds(A.POLICE), "safety"
        ),
        SignalKind(
            "child_secured",
            "Zabezpieczenie dziecka",
            "Child secured",
            "critical",
            _kinds(A.POLICE, A.OPS, A.COURT_CURATOR),
            "safety",
        ),
        SignalKind(
            "home_visit",
            "Wizyta w środowisku",
            "Home visit",
            "info",
            _kinds(A.OPS, A.PCPR, A.COURT_CURATOR, A.POLICE),
            "family",
        ),
        SignalKind("welfare_concern", "Niepokój o dobro dziecka", "Welfare concern", "medium", _EVERY, "family"),
        SignalKind(
            "court_supervision_report",
            "Sprawozdanie z nadzoru kuratora",
            "Court supervision report",
            "medium",
            _kinds(A.COURT_CURATOR),
            "conviction",
        ),
        SignalKind(
            "health_referral",
            "Skierowanie przez ochronę zdrowia",
            "Health referral",
            "medium",
            _kinds(A.HEALTH),
            "health",
        ),
        SignalKind("injury_treated", "Leczenie obrażeń", "Injury treated", "high", _kinds(A.HEALTH), "health"),
        SignalKind(
            "addiction_referral",
            "Skierowanie na leczenie uzależnienia",
            "Addiction referral",
            "medium",
            _kinds(A.GKRPA, A.HEALTH),
            "addiction",
        ),
        SignalKind(
            "day_centre_attendance_drop",
            "Spadek frekwencji w świetlicy",
            "Day-centre attendance drop",
            "low",
            _kinds(A.DAY_CENTRE),
            "education",
        ),
    )
}


def signal_kind(code: str) -> SignalKind:
    """Return the catalogue row, or refuse the field naming the known codes."""
    try:
        return CATALOGUE[code]
    except KeyError:
        raise InvalidInput.one("kind", f"unknown signal kind '{code}'; known: {', '.join(CATALOGUE)}") from None


def kinds_for_agency(agency_kind: str) -> list[SignalKind]:
    """Return the signal kinds an agency of this kind may submit."""
    return [k for k in CATALOGUE.values() if agency_kind in k.agency_kinds]


def check_submittable(code: str, agency_kind: str) -> SignalKind:
    """Refuse a kind that is not in this agency's field; the agency is the poster's own."""
    kind = signal_kind(code)
    if agency_kind not in kind.agency_kinds:
        allowed = ", ".join(k.code for k in kinds_for_agency(agency_kind)) or "none"
        raise InvalidInput.one(
            "kind", f"'{code}' is not a signal an agency of kind '{agency_kind}' submits; allowed: {allowed}"
        )
    return kind


def check_severity(severity: str) -> str:
    """Refuse a severity outside the scale."""
    if severity not in SEVERITIES:
        raise InvalidInput.one("severity", f"must be one of: {', '.join(SEVERITIES)}")
    return severity
