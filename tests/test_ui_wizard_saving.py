"""The wizard's saving rules, without a terminal: what is stored without asking,
the review date of a decision made again, what an edited decision no longer
follows, and the notice when saving is refused."""

from __future__ import annotations

import datetime as dt

from ui_support import SAMPLES, TODAY

from aipm_workbench.domain import Tier, default_review_by, evaluate, read_assessment
from aipm_workbench.domain.living import content_hash
from aipm_workbench.ui.wizard.deciding import bound, review_by_again, to_save
from aipm_workbench.ui.wizard.derived import Follows, follow_saved
from aipm_workbench.ui.wizard.saving import unsaved_notice
from aipm_workbench.ui.wizard.state import from_assessment


def support_bot():
    return bound(read_assessment(SAMPLES / "support-bot.toml"))


def with_decision(assessment, **changes):
    decision = assessment.decision.model_copy(update=changes)
    return assessment.model_copy(update={"decision": decision})


def rerated(assessment):
    """Its first harm rated again: material content (a name is not)."""
    harm = assessment.harms[0].model_copy(update={"severity": 2})
    return assessment.model_copy(update={"harms": [harm, *assessment.harms[1:]]})


def test_a_new_features_decision_is_bound_to_the_content_saved():
    fresh = read_assessment(SAMPLES / "support-bot.toml")
    saved = to_save(None, fresh)
    assert saved.decision.content_hash == content_hash(fresh)


def test_a_decision_made_before_on_the_same_content_is_saved_as_it_was():
    original = support_bot()
    assert to_save(original, original) == original


def test_a_decision_made_before_on_other_content_asks_first():
    original = support_bot()
    edited = rerated(original)
    assert content_hash(edited) != content_hash(original)
    assert to_save(original, edited) is None


def test_a_decision_remade_in_the_form_is_bound_without_asking():
    original = support_bot()
    edited = with_decision(rerated(original), decided_on=TODAY)
    saved = to_save(original, edited)
    assert saved.decision.decided_on == TODAY
    assert saved.decision.content_hash == content_hash(edited)


def test_no_decision_is_saved_as_it_is():
    original = support_bot()
    undecided = original.model_copy(update={"decision": None})
    assert to_save(original, undecided) == undecided


def test_a_default_review_date_moves_to_todays_default():
    original = support_bot()
    before = original.decision
    residual = evaluate(original, TODAY).residual_priority
    assert before.review_by == default_review_by(before.decided_on, residual)
    assert review_by_again(original, TODAY, Tier.high) == default_review_by(TODAY, Tier.high)
    assert review_by_again(original, TODAY, None) == default_review_by(TODAY, None)


def test_a_review_date_given_by_hand_is_kept():
    chosen = dt.date(2027, 6, 30)
    original = with_decision(support_bot(), review_by=chosen)
    assert review_by_again(original, TODAY, Tier.high) == chosen


def test_no_review_date_or_no_decision_before_gives_none():
    original = support_bot()
    assert review_by_again(with_decision(original, review_by=None), TODAY, Tier.high) is None
    undecided = original.model_copy(update={"decision": None})
    assert review_by_again(undecided, TODAY, Tier.high) is None
    assert review_by_again(None, TODAY, Tier.high) is None


def test_an_edited_decision_no_longer_follows_the_recommendation():
    original = support_bot()
    follows = Follows()
    follow_saved(follows, from_assessment(original), original)
    assert follows == Follows(verdict=False, review_by=False)


def test_a_changed_verdict_or_date_still_follows():
    original = support_bot()
    data = from_assessment(original)
    data["decision"]["verdict"] = "hold"
    data["decision"]["decided_on"] = TODAY.isoformat()
    follows = Follows()
    follow_saved(follows, data, original)
    assert follows == Follows(verdict=True, review_by=True)
    follow_saved(follows, {"decision": None}, original)
    assert follows == Follows(verdict=True, review_by=True)


def test_the_refused_save_names_how_many_problems_and_the_key():
    message, title = unsaved_notice(3)
    assert title == "Cannot save yet"
    assert message == (
        "Not saved: 3 problems to fix first; Enter on one (or ctrl+f from any step) jumps to it."
    )
    assert unsaved_notice(1)[0].startswith("Not saved: 1 problem to fix first;")
