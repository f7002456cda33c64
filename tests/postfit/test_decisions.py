"""Decision rules: parsing, cost files, tuning on out-of-fold probabilities, cross-fitting."""

import numpy as np
import pytest

from clickpred.errors import ConfigError
from clickpred.postfit.decisions import (
    DecisionRule,
    cross_fitted,
    load_costs,
    parse_rule,
)

CLASSES = ["view", "click", "conversion"]


@pytest.fixture(scope="module")
def oof():
    rng = np.random.default_rng(0)
    n = 60_000
    z = rng.normal(size=n)
    p1 = 1 / (1 + np.exp(-(2 * z - 5)))
    w = rng.normal(size=n)
    share = 1 / (1 + np.exp(-(w - 2)))  # conversion's share of the reached rows: its own signal
    P = np.column_stack([1 - p1, p1 * (1 - share), p1 * share])
    u = rng.random(n)
    y = np.where(u < P[:, 2], "conversion", np.where(u < P[:, 1] + P[:, 2], "click", "view"))
    return P, y, rng.integers(0, 5, n)


@pytest.fixture
def costs_file(tmp_path):
    p = tmp_path / "costs.toml"
    p.write_text(
        "[costs.conversion]\nview = 50\nclick = 10\n[costs.click]\nview = 5\n[costs.view]\nclick = 1\nconversion = 1\n"
    )
    return p


def test_cost_file_is_read_into_a_true_by_predicted_matrix(costs_file):
    C = load_costs(costs_file, CLASSES)
    assert C.tolist() == [[0, 1, 1], [5, 0, 0], [50, 10, 0]]


@pytest.mark.parametrize(
    "text, message",
    [
        ("[costs.purchase]\nview = 1\n", "costs.purchase: no class 'purchase'"),
        ("[costs.click]\nsale = 1\n", "costs.click.sale: no class 'sale'"),
        ('[costs.click]\nview = "a lot"\n', "costs.click.view must be a number"),
        ("[costs.click]\nview = 0\n", "every decision costs the same"),
        ("[costs.click]\nview = 1e300\n", "beyond ±1e\\+12: rescale"),
        ("view = 1\n", "expected only \\[costs.<true class>\\] tables"),
        ("[costs.click\n", "malformed TOML"),
    ],
)
def test_bad_cost_files_name_the_file_and_key(tmp_path, text, message):
    p = tmp_path / "c.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=message) as e:
        load_costs(p, CLASSES)
    assert "\n" not in str(e.value) or "malformed" in message


@pytest.mark.parametrize(
    "text, message",
    [
        ("best", "expected one of auto, argmax, cost"),
        ("auto:click", "'auto' takes no argument"),
        ("recall:click=1.2.3", "must be in \\(0, 1\\], got 1.2.3"),
        ("cost", "needs costs FILE"),
        ("recall:purchase=0.8", "'purchase' is not a minority class"),
        ("recall:view=0.8", "'view' is not a minority class"),
        ("recall:click=1.5", "must be in \\(0, 1\\]"),
        ("recall:", "name at least one target"),
        ("recall:click", "expected recall:CLASS=R"),
        ("top:0%", "0 < K < 100"),
        ("top:5", "top:K%"),
    ],
)
def test_bad_rules_are_one_line_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_rule(text, CLASSES)


def test_bayes_thresholds_follow_from_the_costs(costs_file):
    rule = parse_rule("cost", CLASSES, costs_file)
    # click beats view when p·(C[v,v] − C[v,c]) ... : t = 1 / (1 + 5) with these costs
    assert rule.bayes_thresholds() == pytest.approx({"click": 1 / 6, "conversion": 1 / 51})


def test_tuned_cost_rule_is_no_worse_than_bayes_or_argmax_where_it_was_tuned(oof, costs_file):
    P, y, _ = oof
    rule = parse_rule("cost", CLASSES, costs_file).fit(P, y)
    names = np.asarray(CLASSES)
    tuned = rule.realised_cost(y, rule.predict(P))
    bayes = rule.realised_cost(y, names[rule._cost_choice(P, rule.bayes_thresholds())])
    argmax = rule.realised_cost(y, names[np.argmax(P, axis=1)])
    assert tuned <= bayes <= argmax
    assert bayes < argmax  # calibrated probabilities + costs already beat argmax here


def test_recall_targets_are_met_with_the_highest_thresholds(oof):
    P, y, _ = oof
    rule = parse_rule("recall:click=0.6,conversion=0.5", CLASSES).fit(P, y)
    pred = rule.predict(P)
    for c, target in (("click", 0.6), ("conversion", 0.5)):
        assert np.mean(pred[y == c] == c) >= target
    # one notch higher and the conversion target is missed: the threshold is the highest that meets it
    k = CLASSES.index("conversion")
    above = np.unique(P[y == "conversion", k])
    higher = above[above > rule.thresholds["conversion"]][0]
    stricter = DecisionRule(
        "recall", CLASSES, targets=rule.targets, thresholds={**rule.thresholds, "conversion": float(higher)}
    )
    assert np.mean(stricter.predict(P)[y == "conversion"] == "conversion") < 0.5


def test_top_k_flags_that_share_of_rows_as_their_likeliest_minority_class(oof):
    P, y, _ = oof
    rule = parse_rule("top:5%", CLASSES).fit(P, y)
    pred = rule.predict(P)
    assert np.mean(pred != "view") == pytest.approx(0.05, abs=0.001)
    flagged = pred != "view"
    assert (pred[flagged] == np.asarray(CLASSES)[1 + np.argmax(P[flagged, 1:], axis=1)]).all()


def test_cross_fitting_tunes_each_fold_without_it(oof):
    P, y, fold = oof
    rule = parse_rule("top:5%", CLASSES)
    a = cross_fitted(rule, P, y, fold)
    P2 = P.copy()
    P2[fold == 0] = [1.0, 0.0, 0.0]  # fold 0 now certain views: its own threshold must not move
    b = cross_fitted(rule, P2, y, fold)
    assert a.fold_thresholds[0] == b.fold_thresholds[0]
    assert a.fold_thresholds[1] != b.fold_thresholds[1]
    spread = a.spread()["any"]
    assert spread["min"] <= a.rule.thresholds["any"] <= spread["max"] * 1.01


def test_a_rule_survives_its_json_form(costs_file, oof):
    P, y, _ = oof
    rule = parse_rule("cost", CLASSES, costs_file).fit(P, y)
    back = DecisionRule.from_dict(rule.to_dict())
    assert (back.predict(P) == rule.predict(P)).all() and back.label == "cost"


def _best_f1_threshold(p, positive):
    """Brute force: every distinct score as a threshold."""
    best, arg = -1.0, None
    for t in np.unique(p):
        flag = p >= t
        tp = np.sum(flag & positive)
        f1 = 2 * tp / (flag.sum() + positive.sum())
        if f1 > best:
            best, arg = f1, t
    return arg


def test_auto_picks_each_class_threshold_of_best_f1_rarest_first(oof):
    P, y, _ = oof
    rule = parse_rule("auto", CLASSES).fit(P, y)
    conv = _best_f1_threshold(P[:, 2], y == "conversion")
    assert rule.thresholds["conversion"] == pytest.approx(conv)
    free = P[:, 2] < conv  # rows the rarer class did not take
    click = _best_f1_threshold(P[free, 1], (y == "click")[free])
    assert rule.thresholds["click"] == pytest.approx(click)
    pred = rule.predict(P)
    assert (pred == "click").sum() > 0 and (pred == "conversion").sum() > 0
    assert (np.argmax(P, axis=1) != 0).sum() < (pred != "view").sum()  # argmax flags fewer rows


def test_auto_leaves_a_class_without_skill_unflagged():
    rng = np.random.default_rng(1)
    n = 20_000
    y = np.where(rng.random(n) < 0.01, "click", "view")
    p = rng.random(n) * 0.02  # pure noise: no skill for click
    rule = parse_rule("auto", ["view", "click"]).fit(np.column_stack([1 - p, p]), y)
    assert rule.thresholds == {"click": 1.0}
    assert (rule.predict(np.column_stack([1 - p, p])) == "view").all()


def test_cost_decisions_do_not_change_when_the_matrix_is_shifted_or_scaled(oof, tmp_path):
    """Gains are negative costs: a row plus a constant, or the matrix times a positive number, decides the same."""
    P, y, fold = oof
    base = np.array([[0.0, 1.0, 1.0], [5.0, 0.0, 2.0], [50.0, 10.0, 0.0]])
    gains = base - np.array([[0.0], [8.0], [80.0]])  # a click or conversion found earns 8 / 80
    ref = DecisionRule("cost", CLASSES, costs=base).fit(P, y)
    for C in (gains, base * 1e9, gains * 1e-6 + 3.0):
        rule = DecisionRule("cost", CLASSES, costs=C).fit(P, y)
        assert rule.thresholds == pytest.approx(ref.thresholds)
        assert (rule.predict(P) == ref.predict(P)).all()
    assert (DecisionRule("cost", CLASSES, costs=gains).fit(P, y).predict(P) != "view").sum() > 0


def test_auto_flags_a_common_class_it_ranks_well():
    """Twice the prevalence of a class of 50% is 1, a PR-AUC no model reaches: the bar is then halfway from no
    skill to perfect (0.75), so a well-ranked balanced class is flagged (it never was before)."""
    rng = np.random.default_rng(0)
    y = np.array(["a"] * 100 + ["b"] * 100)
    p = np.r_[rng.uniform(0.0, 0.6, 100), rng.uniform(0.4, 1.0, 100)]
    rule = DecisionRule("auto", ["a", "b"]).fit(np.column_stack([1 - p, p]), y)
    assert rule.thresholds["b"] < 1.0
    assert (rule.predict(np.column_stack([1 - p, p])) == y).mean() > 0.8


def _f1_thresholds_sorting_the_free_rows_again(rule, P, y):
    """The auto rule as first written: each class's free rows sorted on their own, and all its rows again for the
    skill check."""
    from clickpred.evaluation.intervals import RankedScores
    from clickpred.postfit.decisions import has_skill

    t, taken = {}, np.zeros(len(y), dtype=bool)
    for c in reversed(rule.classes[1:]):
        k = rule.classes.index(c)
        free = ~taken
        n_pos = int(np.sum(y == c))
        s = P[free, k]
        order = np.argsort(-s, kind="stable")
        s_sorted = s[order]
        tp = np.cumsum(y[free][order] == c)
        last = np.r_[s_sorted[1:] != s_sorted[:-1], True]
        f1 = 2.0 * tp[last] / (np.arange(1, len(s) + 1)[last] + n_pos)
        skilled = has_skill(RankedScores(y == c, P[:, k]))
        t[c] = float(s_sorted[last][int(np.argmax(f1))]) if skilled and f1.max() > 0 else 1.0
        taken |= P[:, k] >= t[c]
    return t


@pytest.mark.parametrize("decimals", [None, 3, 2])  # ties: the one sort must keep them in row order too
def test_auto_thresholds_from_one_sort_per_class_equal_sorting_the_free_rows_again(oof, decimals):
    P, y, _ = oof
    P = P if decimals is None else np.round(P, decimals)
    rule = parse_rule("auto", CLASSES)
    assert rule.fit(P, y).thresholds == _f1_thresholds_sorting_the_free_rows_again(rule, P, y)


def test_auto_flags_a_class_only_where_its_skill_is_distinguishable_from_none():
    """Steering: the interval, not the point estimate. About 30 conversions ranked at random are not flagged
    (whatever their point estimate happens to be); a perfectly ranked class is flagged, at threshold 1."""
    from clickpred.evaluation.intervals import RankedScores
    from clickpred.postfit.decisions import has_skill

    rng = np.random.default_rng(0)
    n = 20_000
    y = np.where(rng.random(n) < 0.0015, "conversion", "view")
    noise = rng.random(n)
    assert not has_skill(RankedScores(y == "conversion", noise))
    leak = (y == "conversion").astype(float)
    assert has_skill(RankedScores(y == "conversion", leak))
    P = np.column_stack([1 - leak, leak])
    rule = DecisionRule("auto", ["view", "conversion"]).fit(P, y)
    assert (rule.predict(P) == y).all()
