"""The risk arithmetic: decay, exclusions, bands, red flags and the pieces-join window."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from domain.errors import InvalidInput
from domain.history import SignalState
from domain.risk import (
    NOTE_DISPUTED,
    NOTE_EXPIRED,
    NOTE_FUTURE,
    NOTE_RETRACTED,
    NOTICE,
    RiskSignal,
    assess,
    band_at_least,
    counted,
    judge,
)
from domain.risk_policy import BANDS, RiskPolicy, load_policy
from domain.signals import CATALOGUE, SEVERITIES

NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


def policy_doc(**overrides: object) -> dict:
    """A small, round-numbered policy for arithmetic tests."""
    doc: dict = {
        "version": "test.1",
        "half_life_days": 30,
        "max_age_days": 365,
        "weights": {code: 1.0 for code in CATALOGUE},
        "severity_multipliers": {"info": 0.0, "low": 0.5, "medium": 1.0, "high": 1.5, "critical": 2.0},
        "red_flags": ["disclosure_by_child"],
        "red_flag_days": 90,
        "thresholds": {"medium": 3.0, "high": 6.0, "review_now": 10.0},
        "pieces_join_window_days": 30,
        "pieces_join_min_agencies": 2,
        "pieces_join_min_band": "medium",
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def policy() -> RiskPolicy:
    return RiskPolicy.from_dict(policy_doc())


_counter = iter(range(1_000_000))


def sig(
    age: timedelta | float = 0.0,
    *,
    kind: str = "welfare_concern",
    severity: str = "medium",
    agency: str = "school-1",
    agency_kind: str = "school",
    **flags: bool,
) -> RiskSignal:
    """A signal observed ``age`` before NOW (days when a number)."""
    if not isinstance(age, timedelta):
        age = timedelta(days=age)
    return RiskSignal(
        signal_id=f"s{next(_counter):04d}",
        kind=kind,
        severity=severity,
        observed_at=NOW - age,
        agency_id=agency,
        agency_kind=agency_kind,
        **flags,
    )


def only(assessment, signal_id):
    (c,) = [c for c in assessment.contributions if c.signal_id == signal_id]
    return c


# --------------------------------------------------------------------------- decay


def test_a_fresh_signal_counts_its_full_weight(policy):
    s = sig(0, severity="high")
    a = assess([s], NOW, policy)
    c = only(a, s.signal_id)
    assert (c.weight, c.age_days, c.decay, c.contribution, c.counted, c.note) == (1.5, 0.0, 1.0, 1.5, True, "")
    assert a.score == 1.5


def test_exactly_half_at_one_half_life_and_a_quarter_at_two(policy):
    one, two = sig(30), sig(60)
    a = assess([one, two], NOW, policy)
    assert only(a, one.signal_id).decay == 0.5
    assert only(a, one.signal_id).contribution == 0.5
    assert only(a, two.signal_id).decay == 0.25
    assert only(a, two.signal_id).contribution == 0.25
    assert a.score == 0.75


def test_decay_is_continuous_between_half_lives(policy):
    s = sig(timedelta(days=15))
    c = only(assess([s], NOW, policy), s.signal_id)
    assert math.isclose(c.decay, 2**-0.5)
    assert math.isclose(c.age_days, 15.0)


def test_weight_is_policy_weight_times_severity_multiplier():
    weights = {code: 1.0 for code in CATALOGUE} | {"neglect_observed": 4.0}
    policy = RiskPolicy.from_dict(policy_doc(weights=weights))
    signals = [sig(0, kind="neglect_observed", severity=sev) for sev in SEVERITIES]
    a = assess(signals, NOW, policy)
    assert [only(a, s.signal_id).weight for s in signals] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert a.score == 20.0


def test_half_life_comes_from_the_policy():
    policy = RiskPolicy.from_dict(policy_doc(half_life_days=10))
    s = sig(20)
    assert only(assess([s], NOW, policy), s.signal_id).decay == 0.25


# --------------------------------------------------------------------------- exclusions


def test_retracted_and_disputed_signals_are_listed_but_not_counted(policy):
    kept, retracted, disputed = sig(1), sig(1, retracted=True), sig(1, disputed=True)
    a = assess([kept, retracted, disputed], NOW, policy)
    assert a.score == only(a, kept.signal_id).contribution
    for s, note in ((retracted, NOTE_RETRACTED), (disputed, NOTE_DISPUTED)):
        c = only(a, s.signal_id)
        assert (c.counted, c.note, c.decay, c.contribution) == (False, note, 0.0, 0.0)
        assert c.weight == 1.0  # still explained: what it would weigh


def test_expired_signal_counts_zero_and_says_so(policy):
    edge, expired = sig(365), sig(timedelta(days=365) + US)
    a = assess([edge, expired], NOW, policy)
    assert only(a, edge.signal_id).counted
    c = only(a, expired.signal_id)
    assert (c.counted, c.note, c.decay, c.contribution) == (False, NOTE_EXPIRED, 0.0, 0.0)
    assert c.age_days > 365


def test_signal_observed_after_the_assessment_time_is_not_counted(policy):
    future, at_now = sig(-US), sig(0)
    a = assess([future, at_now], NOW, policy)
    c = only(a, future.signal_id)
    assert (c.counted, c.note, c.contribution) == (False, NOTE_FUTURE, 0.0)
    assert c.age_days < 0
    assert only(a, at_now.signal_id).counted
    assert a.score == 1.0


def test_replaying_as_of_an_earlier_time_ignores_what_came_later(policy):
    early, late = sig(20), sig(5)
    then = NOW - timedelta(days=10)
    a = assess([early, late], then, policy)
    assert only(a, late.signal_id).note == NOTE_FUTURE
    assert only(a, early.signal_id).decay == 0.5 ** (10 / 30)
    assert a.assessed_at == then


def test_retraction_wins_over_every_other_reason(policy):
    s = sig(400, retracted=True, disputed=True)
    assert only(assess([s], NOW, policy), s.signal_id).note == NOTE_RETRACTED


def test_every_signal_is_explained_newest_first(policy):
    signals = [sig(10), sig(400), sig(1, retracted=True), sig(-1), sig(3)]
    a = assess(signals, NOW, policy)
    assert len(a.contributions) == len(signals)
    observed = [NOW - timedelta(days=c.age_days) for c in a.contributions]
    assert observed == sorted(observed, reverse=True)


def test_a_kind_the_policy_does_not_know_is_listed_and_not_counted(policy):
    s = sig(1, kind="kind_from_the_future")
    c = only(assess([s], NOW, policy), s.signal_id)
    assert not c.counted
    assert "test.1" in c.note


def test_no_signals_is_low_with_zero_score(policy):
    a = assess([], NOW, policy)
    assert (a.score, a.band, a.red_flags, a.pieces_join, a.contributions) == (0.0, "low", (), None, ())
    assert a.policy_version == "test.1"
    assert a.notice == NOTICE


def test_naive_times_are_refused(policy):
    with pytest.raises(InvalidInput) as err:
        assess([], NOW.replace(tzinfo=None), policy)
    assert "now" in err.value.errors
    naive = replace(sig(1), observed_at=NOW.replace(tzinfo=None))
    with pytest.raises(InvalidInput) as err:
        assess([naive], NOW, policy)
    assert "observed_at" in err.value.errors


# --------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.0, "low"),
        (2.999, "low"),
        (3.0, "medium"),
        (5.999, "medium"),
        (6.0, "high"),
        (9.999, "high"),
        (10.0, "review_now"),
        (40.0, "review_now"),
    ],
)
def test_band_thresholds_are_inclusive_lower_edges(policy, score, band):
    assert policy.band_for_score(score) == band


@pytest.mark.parametrize(("fresh_weight", "band"), [(2.5, "low"), (3.0, "medium"), (6.0, "high"), (10.0, "review_now")])
def test_assessment_band_follows_the_score_at_the_edges(fresh_weight, band):
    weights = {code: 1.0 for code in CATALOGUE} | {"welfare_concern": fresh_weight}
    policy = RiskPolicy.from_dict(policy_doc(weights=weights))
    a = assess([sig(0)], NOW, policy)
    assert (a.score, a.band) == (fresh_weight, band)


def test_band_at_least_never_lowers():
    assert band_at_least("low", "medium") == "medium"
    assert band_at_least("high", "medium") == "high"
    assert band_at_least("review_now", "low") == "review_now"


# --------------------------------------------------------------------------- red flags


def test_a_red_flag_forces_review_now_whatever_the_score():
    weights = {code: 1.0 for code in CATALOGUE} | {"disclosure_by_child": 0.1}
    policy = RiskPolicy.from_dict(policy_doc(weights=weights))
    flag = sig(5, kind="disclosure_by_child", severity="low")
    a = assess([flag], NOW, policy)
    assert a.score < policy.thresholds["medium"]
    assert a.band == "review_now"
    assert a.red_flags == (flag.signal_id,)


def test_a_red_flag_holds_for_red_flag_days_inclusive_then_stops(policy):
    at_edge = sig(90, kind="disclosure_by_child")
    past_edge = sig(timedelta(days=90) + US, kind="disclosure_by_child")
    a = assess([at_edge], NOW, policy)
    assert (a.band, a.red_flags) == ("review_now", (at_edge.signal_id,))
    b = assess([past_edge], NOW, policy)
    assert b.red_flags == ()
    assert b.band == "low"
    assert only(b, past_edge.signal_id).counted  # still scored, just no longer a red flag


@pytest.mark.parametrize("flag", [{"retracted": True}, {"disputed": True}])
def test_a_retracted_or_disputed_red_flag_does_not_hold(policy, flag):
    a = assess([sig(1, kind="disclosure_by_child", **flag)], NOW, policy)
    assert (a.band, a.red_flags) == ("low", ())


def test_a_future_red_flag_does_not_hold_yet(policy):
    a = assess([sig(-1, kind="disclosure_by_child")], NOW, policy)
    assert (a.band, a.red_flags) == ("low", ())


def test_red_flags_list_every_holding_signal_newest_first(policy):
    older, newer = sig(20, kind="disclosure_by_child"), sig(2, kind="disclosure_by_child")
    assert assess([older, newer], NOW, policy).red_flags == (newer.signal_id, older.signal_id)


# --------------------------------------------------------------------------- the pieces join


def test_two_agencies_within_the_window_join_even_when_nothing_is_severe(policy):
    school = sig(10, severity="low", agency="school-1", agency_kind="school")
    police = sig(2, severity="low", agency="police-1", agency_kind="police")
    a = assess([school, police], NOW, policy)
    assert a.score < policy.thresholds["medium"]
    assert a.band == "medium"
    pj = a.pieces_join
    assert pj is not None
    assert pj.agency_ids == ("school-1", "police-1")
    assert pj.agency_kinds == ("school", "police")
    assert pj.signal_ids == (school.signal_id, police.signal_id)
    assert pj.window_days == 30
    assert (pj.first_observed, pj.last_observed) == (school.observed_at, police.observed_at)


def test_pieces_join_window_edge_is_inclusive():
    school = sig(30, agency="school-1")
    police = sig(0, agency="police-1", agency_kind="police")
    policy = RiskPolicy.from_dict(policy_doc())
    a = assess([school, police], NOW, policy)
    assert a.pieces_join is not None
    assert a.pieces_join.first_observed == NOW - timedelta(days=30)


def test_one_microsecond_outside_the_window_does_not_join(policy):
    school = sig(timedelta(days=30) + US, agency="school-1")
    police = sig(0, agency="police-1", agency_kind="police")
    a = assess([school, police], NOW, policy)
    assert a.pieces_join is None
    assert a.band == "low"


def test_the_same_agency_twice_is_not_two_agencies(policy):
    a = assess([sig(1, agency="school-1"), sig(2, agency="school-1"), sig(3, agency="school-1")], NOW, policy)
    assert a.pieces_join is None


def test_two_agencies_of_the_same_kind_are_two_agencies(policy):
    a = assess([sig(1, agency="school-1"), sig(2, agency="school-2")], NOW, policy)
    assert a.pieces_join is not None
    assert a.pieces_join.agency_kinds == ("school", "school")


@pytest.mark.parametrize("flag", [{"retracted": True}, {"disputed": True}])
def test_uncounted_signals_do_not_join(policy, flag):
    a = assess([sig(1, agency="school-1"), sig(2, agency="police-1", **flag)], NOW, policy)
    assert a.pieces_join is None


def test_a_signal_without_weight_does_not_join(policy):
    # A routine home visit (severity info) is help being given, not a concern.
    visit = sig(1, kind="home_visit", severity="info", agency="ops-1", agency_kind="ops")
    a = assess([sig(2, agency="school-1"), visit], NOW, policy)
    assert only(a, visit.signal_id).counted
    assert a.pieces_join is None


def test_min_agencies_comes_from_the_policy():
    policy = RiskPolicy.from_dict(policy_doc(pieces_join_min_agencies=3))
    two = [sig(1, agency="a"), sig(2, agency="b")]
    assert assess(two, NOW, policy).pieces_join is None
    assert assess([*two, sig(3, agency="c")], NOW, policy).pieces_join is not None


def test_the_alert_lifts_the_band_to_the_policy_minimum_and_never_lowers_it():
    policy = RiskPolicy.from_dict(policy_doc(pieces_join_min_band="high"))
    small = [sig(1, severity="low", agency="a"), sig(2, severity="low", agency="b")]
    assert assess(small, NOW, policy).band == "high"
    flagged = [*small, sig(3, kind="disclosure_by_child", agency="c")]
    assert assess(flagged, NOW, policy).band == "review_now"
    no_lift = RiskPolicy.from_dict(policy_doc(pieces_join_min_band="low"))
    a = assess(small, NOW, no_lift)
    assert (a.band, a.pieces_join is not None) == ("low", True)


# --------------------------------------------------------------------------- the policy


def test_shipped_policy_loads_and_weighs_every_catalogue_kind():
    policy = load_policy()
    assert policy.version
    assert set(policy.weights) == set(CATALOGUE)
    assert set(policy.severity_multipliers) == set(SEVERITIES)
    assert policy.red_flags <= set(CATALOGUE)
    assert {"disclosure_by_child", "child_secured"} <= policy.red_flags
    assert (policy.half_life_days, policy.max_age_days) == (30.0, 365)
    assert (policy.pieces_join_window_days, policy.pieces_join_min_agencies) == (30, 2)
    assert policy.pieces_join_min_band == "medium"


def test_shipped_policy_is_sensible_for_child_protection():
    policy = load_policy()
    w = policy.weights
    assert w["home_visit"] == 0.0
    assert w["missed_remote_learning"] < w["welfare_concern"] < w["domestic_intervention"]
    assert policy.severity_multipliers["info"] == 0.0
    fresh_intervention = [sig(0, kind="domestic_intervention", severity="high", agency="p", agency_kind="police")]
    assert assess(fresh_intervention, NOW, policy).band == "high"
    one_missed_login = [sig(0, kind="missed_remote_learning", severity="low")]
    assert assess(one_missed_login, NOW, policy).band == "low"


def test_load_policy_reads_a_file(tmp_path: Path):
    path = tmp_path / "policy.toml"
    default = Path(__file__).parents[3] / "domain" / "risk_policy.toml"
    path.write_text(default.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "shadow.7"'))
    assert load_policy(path).version == "shadow.7"
    assert load_policy(str(path)).version == "shadow.7"


def test_load_policy_refuses_broken_toml(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text("version = \n")
    with pytest.raises(InvalidInput) as err:
        load_policy(path)
    assert "policy" in err.value.errors


def test_policy_round_trips_through_as_dict():
    policy = load_policy()
    assert RiskPolicy.from_dict(policy.as_dict()) == policy
    json.dumps(policy.as_dict())


def test_pieces_join_settings_have_defaults():
    doc = policy_doc()
    for key in ("pieces_join_window_days", "pieces_join_min_agencies", "pieces_join_min_band"):
        del doc[key]
    policy = RiskPolicy.from_dict(doc)
    assert (policy.pieces_join_window_days, policy.pieces_join_min_agencies, policy.pieces_join_min_band) == (
        30,
        2,
        "medium",
    )


def _without(table: str, key: str) -> dict:
    doc = policy_doc()
    doc[table] = {k: v for k, v in doc[table].items() if k != key}
    return doc


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        (policy_doc(version=""), "version"),
        (policy_doc(version=3), "version"),
        ({k: v for k, v in policy_doc().items() if k != "version"}, "version"),
        (policy_doc(half_life_days=0), "half_life_days"),
        (policy_doc(half_life_days=-1), "half_life_days"),
        (policy_doc(half_life_days="30"), "half_life_days"),
        (policy_doc(half_life_days=float("nan")), "half_life_days"),
        (policy_doc(max_age_days=0), "max_age_days"),
        (policy_doc(max_age_days=36.5), "max_age_days"),
        (policy_doc(max_age_days=True), "max_age_days"),
        (_without("weights", "home_visit"), "weights.home_visit"),
        (policy_doc(weights={code: 1.0 for code in CATALOGUE} | {"made_up": 1.0}), "weights.made_up"),
        (policy_doc(weights={code: 1.0 for code in CATALOGUE} | {"injury_observed": -1}), "weights.injury_observed"),
        (policy_doc(weights=[1, 2]), "weights"),
        (_without("severity_multipliers", "critical"), "severity_multipliers.critical"),
        (policy_doc(red_flags=["made_up"]), "red_flags"),
        (policy_doc(red_flags="disclosure_by_child"), "red_flags"),
        (policy_doc(red_flag_days=0), "red_flag_days"),
        (policy_doc(red_flag_days=400), "red_flag_days"),
        (_without("thresholds", "high"), "thresholds.high"),
        (policy_doc(thresholds={"medium": 3, "high": 3, "review_now": 10}), "thresholds.high"),
        (policy_doc(thresholds={"medium": 0, "high": 6, "review_now": 10}), "thresholds.medium"),
        (policy_doc(thresholds={"medium": 3, "high": 6, "review_now": 10, "extreme": 20}), "thresholds.extreme"),
        (policy_doc(pieces_join_window_days=0), "pieces_join_window_days"),
        (policy_doc(pieces_join_window_days=366), "pieces_join_window_days"),
        (policy_doc(pieces_join_min_agencies=1), "pieces_join_min_agencies"),
        (policy_doc(pieces_join_min_band="urgent"), "pieces_join_min_band"),
        (policy_doc(surprise=1), "surprise"),
    ],
)
def test_from_dict_refusals_name_the_bad_key(doc, key):
    with pytest.raises(InvalidInput) as err:
        RiskPolicy.from_dict(doc)
    assert list(err.value.errors) == [key]
    assert key in str(err.value)


# --------------------------------------------------------------------------- the explanation


def test_as_dict_is_json_ready_and_rounded(policy):
    signals = [
        sig(7.123456, agency="school-1"),
        sig(3, kind="disclosure_by_child", agency="police-1", agency_kind="police"),
        sig(2, retracted=True),
        sig(500),
    ]
    a = assess(signals, NOW, policy)
    d = json.loads(json.dumps(a.as_dict()))
    assert d["band"] == "review_now"
    assert d["policy_version"] == "test.1"
    assert d["assessed_at"] == NOW.isoformat()
    assert d["notice"] == NOTICE
    assert d["score"] == round(a.score, 2)
    assert d["red_flags"] == list(a.red_flags)
    assert d["pieces_join"]["agency_ids"] == ["school-1", "police-1"]
    assert d["pieces_join"]["first_observed"] == signals[0].observed_at.isoformat()
    assert len(d["contributions"]) == 4
    first = d["contributions"][-2]
    assert first["age_days"] == 7.12
    assert set(first) == {
        "signal_id",
        "kind",
        "agency_kind",
        "severity",
        "weight",
        "age_days",
        "decay",
        "contribution",
        "counted",
        "note",
    }
    assert [c["note"] for c in d["contributions"]] == [NOTE_RETRACTED, "", "", NOTE_EXPIRED]


def test_from_state_builds_a_risk_signal_from_history():
    state = SignalState(
        id=uuid4(),
        child_id=uuid4(),
        kind="neglect_observed",
        severity="medium",
        observed_at=NOW,
        details="",
        days=None,
        agency_id=uuid4(),
        agency_kind="ops",
        author_id=uuid4(),
        author_role="case_worker",
        recorded_at=NOW,
        version=2,
        retracted=True,
    )
    s = RiskSignal.from_state(state, disputed=True)
    assert (s.signal_id, s.agency_id) == (str(state.id), str(state.agency_id))
    assert (s.kind, s.severity, s.observed_at, s.agency_kind, s.retracted, s.disputed) == (
        "neglect_observed",
        "medium",
        NOW,
        "ops",
        True,
        True,
    )


def test_bands_are_in_order():
    assert BANDS == ("low", "medium", "high", "review_now")


def test_without_the_explanation_the_score_band_and_alerts_are_the_same():
    import random

    policy = load_policy()
    rng = random.Random(5)
    kinds = sorted(policy.weights)
    for n in range(300):
        signals = [
            RiskSignal(
                signal_id=f"s{n}-{i}",
                kind=rng.choice(kinds),
                severity=rng.choice(SEVERITIES),
                observed_at=NOW - timedelta(days=rng.uniform(-5, policy.max_age_days + 30)),
                agency_id=f"a{rng.randint(1, 4)}",
                agency_kind=rng.choice(("school", "police")),
                retracted=rng.random() < 0.1,
                disputed=rng.random() < 0.05,
            )
            for i in range(rng.randint(0, 40))
        ]
        full, bare = assess(signals, NOW, policy), assess(signals, NOW, policy, explain=False)
        assert (bare.score, bare.band, bare.red_flags, bare.pieces_join) == (
            full.score,
            full.band,
            full.red_flags,
            full.pieces_join,
        )
        assert bare.contributions == () and len(full.contributions) == len(signals)
        rng.shuffle(signals)  # the judgement's sum is exact: the order of the signals changes nothing
        assert judge(signals, NOW, policy) == (full.band, full.score)
        assert counted(signals, NOW, policy) == [c.signal_id for c in full.contributions if c.counted]


def test_the_judgement_refuses_naive_times_as_the_assessment_does(policy):
    with pytest.raises(InvalidInput) as err:
        judge([], NOW.replace(tzinfo=None), policy)
    assert "now" in err.value.errors
    with pytest.raises(InvalidInput) as err:
        judge([replace(sig(1), observed_at=NOW.replace(tzinfo=None))], NOW, policy)
    assert "observed_at" in err.value.errors


@pytest.mark.parametrize(
    "signals",
    [
        [],  # nothing: low, 0.0
        [sig(1, kind="disclosure_by_child", severity="critical")],  # a red flag
        [sig(1, agency="school-1"), sig(2, agency="police-1")],  # the pieces join
        [sig(1, agency="school-1"), sig(2, agency="police-1", retracted=True)],  # they do not
    ],
)
def test_the_judgement_is_the_assessments_band_and_score(policy, signals):
    a = assess(signals, NOW, policy)
    assert judge(signals, NOW, policy) == (a.band, a.score)
