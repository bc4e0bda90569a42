"""The guided assessment: a wizard from the feature to a saved decision.

The screen coordinates; the work is elsewhere. The in-progress assessment is
plain data (``ui/wizard/state.py``), validated and evaluated on every change;
derived values live in ``ui/wizard/derived.py``, the draft bookkeeping in
``ui/wizard/autosave.py`` (offering a stored draft: ``ui/wizard/resuming.py``),
what saving does with the decision in ``ui/wizard/deciding.py``, the keys in
``ui/wizard/commands.py``, and each step is a pane (``ui/wizard/step_*.py``)
that sees the wizard through ``ui/wizard/protocol.py``. Every change is
autosaved to the feature's draft (debounced, on every step change and when the
screen closes); ``ctrl+s`` saves a new revision, which discards the draft.

Three ways in: :meth:`WizardScreen.new`, :meth:`WizardScreen.edit` and
:meth:`WizardScreen.resume`, each given ``today``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Static

from ...domain import Assessment, Step
from ..messages import AssessmentSaved, DraftSaved
from ..widgets.step_list import StepList
from ..wizard.autosave import DraftBook
from ..wizard.base import StepPane
from ..wizard.commands import WIZARD_BINDINGS, WizardCommands
from ..wizard.deciding import redecided, review_by_again, stale_note, to_save
from ..wizard.derived import (
    apply_defaults,
    follow_change,
    follow_saved,
    infer_follows,
    new_decision,
    rename_harm,
)
from ..wizard.dialogs import ConfirmScreen, RedecideScreen, Redecision
from ..wizard.drafting import DraftWriter
from ..wizard.fields import Field
from ..wizard.footer import StepFooter
from ..wizard.live import Live
from ..wizard.panes import StepPanes
from ..wizard.protocol import Command
from ..wizard.resuming import ResumesDrafts
from ..wizard.saving import RevisionSaver, leave_notice, saved_notice, unsaved_notice
from ..wizard.state import (
    STEP_ORDER,
    STEPS,
    Snapshot,
    check,
    from_assessment,
    get_path,
    new_data,
    normalise,
    set_path,
    step_states,
)
from ..wizard.status import counter_text, status_text, title_text
from ..wizard.step_exposure import ExposureStep
from ..wizard.step_fallbacks import FallbacksStep
from ..wizard.step_feature import FeatureStep
from ..wizard.step_harms import HarmsStep
from ..wizard.step_learning import LearningStep
from ..wizard.step_ratings import RatingsStep
from ..wizard.step_review import ReviewStep
from ..wizard.typeahead import HoldsTypeahead, Typeahead
from ..workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from ...storage import Draft

PANES = (FeatureStep, HarmsStep, RatingsStep, ExposureStep, FallbacksStep, LearningStep, ReviewStep)


class WizardScreen(
    ResumesDrafts, HoldsTypeahead, ReportsWorkerErrors, Screen["RevisionInfo | None"]
):
    """Walk through an assessment step by step and save a decision.

    Dismisses with the saved revision's info, or None when left. A stored draft is
    offered and resumed by :class:`~..wizard.resuming.ResumesDrafts`.
    """

    CSS_PATH = "wizard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = WIZARD_BINDINGS

    COMMANDS: ClassVar = {WizardCommands}
    AUTO_FOCUS = None  # the current step focuses its first field
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]

    def __init__(
        self,
        data: dict,
        *,
        today: dt.date,
        editing: bool = False,
        draft_key: str | None = None,
        step: str | None = None,
    ) -> None:
        """Use :meth:`new`, :meth:`edit` or :meth:`resume`."""
        super().__init__()
        self.data = normalise(data)
        self.today = today
        self.editing = editing  # a saved feature (its id is fixed)
        self.source_assessment: Assessment | None = None  # the revision edited
        self._kept_stale: str | None = None  # the date of a decision saved stale
        self.resuming = draft_key is not None
        self.current_step = Step(step) if step in {s.value for s in STEP_ORDER} else Step.feature
        self.current_harm = 0
        self.current_fallback = 0
        self.visited: set[Step] = {self.current_step}
        self.revealed: set[Step] = set()
        self.book = DraftBook(self.data, now=dt.datetime.now(), draft_key=draft_key)
        self.writer = DraftWriter(self.book, self._current)
        self.typeahead = Typeahead()
        self.saver = RevisionSaver(self.book)
        self._cleared_ids: dict[str, Any] = {}  # harm id paths emptied while typing
        self.snapshot: Snapshot = check(self.data, self.today)
        self.follows = infer_follows(self.data, self.snapshot.evaluation)
        self._fix_index = 0
        self.owner_suggested = False  # the owner was filled in from git's user.name

    @classmethod
    def new(cls, today: dt.date, step: str | None = None, owner: str | None = None) -> WizardScreen:
        """A new assessment, from a blank form (``owner``: a suggested owner)."""
        data = new_data()
        if owner:
            data["feature"]["owner"] = owner
        screen = cls(data, today=today, step=step)
        screen.owner_suggested = bool(owner)
        return screen

    @classmethod
    def edit(cls, assessment: Assessment, today: dt.date, step: str | None = None) -> WizardScreen:
        """A saved feature, from its latest revision (its stored draft is offered)."""
        screen = cls(from_assessment(assessment), today=today, editing=True, step=step)
        screen._edits(assessment)
        return screen

    def _edits(self, assessment: Assessment) -> None:
        """The saved revision this form edits. Its decision was made: the verdict and
        the review date no longer follow the recommendation on their own."""
        self.source_assessment = assessment
        follow_saved(self.follows, self.data, assessment)

    @property
    def original(self) -> Assessment | None:
        """The saved revision edited (None for a new feature)."""
        return self.source_assessment

    @classmethod
    def resume(cls, draft: Draft, today: dt.date, step: str | None = None) -> WizardScreen:
        """A stored draft (``storage.Draft``), where it was left; it goes on under its key."""
        return cls(draft.data, today=today, draft_key=draft.feature_id, step=step or draft.step)

    @property
    def draft_key(self) -> str | None:  # where the draft is stored (None: not yet)
        return self.book.draft_key

    def _current(self) -> tuple[dict, str, bool]:
        return self.data, self.current_step.value, self.editing

    def get(self, path: str) -> Any:
        return get_path(self.data, path)

    def pane(self, step: Step | None = None) -> StepPane:
        return self.query_one(StepPanes).pane(step or self.current_step)

    def compose(self) -> ComposeResult:
        with Horizontal(id="wizard-head"):
            yield Live(id="wizard-title", markup=False, fixed=True)
            yield Live(id="wizard-counter", markup=False)
        with Horizontal(id="wizard-body"):
            yield StepList([(s.value, title) for s, title in STEPS], id="wizard-steps")
            yield StepPanes(
                *(pane(self) for pane in PANES),
                initial=self.current_step,
                refresh_wizard=self._refresh,
                ready=self.fields_ready,
                id="wizard-panes",
            )
        with Horizontal(id="wizard-status"):
            yield Live(id="wizard-verdict", markup=False)
            yield Live(id="wizard-draft", markup=False)
        yield StepFooter()
        yield self.writer
        yield self.saver

    def on_mount(self) -> None:
        self.book.store = self.app.store  # type: ignore[attr-defined]
        self.book.workspace = getattr(self.app, "workspace", None)
        self._show_step()
        self._load_context()

    # -------------------------------------------------------- the values

    @on(Field.Changed)
    def _field_changed(self, event: Field.Changed) -> None:
        event.stop()
        path, value = event.path, event.value
        old = self.get(path)
        if old == value:
            return
        set_path(self.data, path, value)
        cleared = self._cleared_ids
        if follow_change(self.data, path, old, value, editing=self.editing, cleared=cleared):
            self.pane(Step.feature).reload("feature.id")
        self.pane().after_change(path, old)
        self.changed()

    def rename_harm(self, old: Any, new: Any) -> None:
        rename_harm(self.data, old, new)

    def ensure_decision(self) -> None:
        """The decision table, with the recommendation and today's date, once the
        review step is reached."""
        if isinstance(self.data.get("decision"), dict):
            return
        self.data["decision"] = new_decision(self.snapshot.evaluation, self.today)
        self.follows.verdict = self.follows.review_by = True
        self.changed()

    def _recheck(self) -> None:
        extra = self.book.extra_problems(self.data, self.editing)
        snapshot = check(self.data, self.today, extra)
        if apply_defaults(self.data, snapshot.evaluation, self.follows):
            snapshot = check(self.data, self.today, extra)
            if self.current_step == Step.review:
                self.pane().reload("decision.verdict", "decision.review_by")
        self.snapshot = snapshot

    def changed(self) -> None:
        """The data changed: revalidate, refresh what shows it, schedule the autosave."""
        if self.book.dirty(self.data):
            self.book.status = "unsaved changes"
        self._refresh()
        self.writer.schedule()

    def structure_changed(self, then: Callable[[], Any] | None = None) -> None:
        """Items were added or removed: reload the current step's fields (``then``
        runs once the new items are mounted and loaded)."""
        self.current_harm = max(0, min(self.current_harm, len(self.data["harms"]) - 1))
        self.current_fallback = max(0, min(self.current_fallback, len(self.data["fallbacks"]) - 1))
        self._cleared_ids.clear()
        if then is not None:
            self.await_fields()  # new fields are mounted before ``then`` focuses one
        self._recheck()
        pane = self.pane()
        self._load(pane)
        self.changed()
        self.call_later(self._items_mounted, pane, then)

    async def _items_mounted(self, pane: StepPane, then: Callable[[], Any] | None) -> None:
        await pane.settled()
        self._load(pane)
        self._refresh()
        if then is not None:
            then()
            self.fields_ready()

    # ----------------------------------------------------------- display

    def _refresh(self) -> None:
        self._recheck()
        snapshot = self.snapshot
        pane = self.pane()
        if pane.ready:
            pane.refresh_live(snapshot)
        pane.show_problems(snapshot, reveal_missing=self.current_step in self.revealed)
        states = step_states(snapshot, self.visited)
        self.query_one(StepList).show(
            {s.value: state.value for s, state in states.items()}, self.current_step.value
        )
        self._show_title()
        self._show_status()

    def _show_title(self) -> None:
        title = title_text(self.data, resuming=self.resuming, editing=self.editing)
        self.query_one("#wizard-title", Static).update(title)
        self.query_one("#wizard-counter", Static).update(counter_text(self.current_step))

    def _show_status(self) -> None:
        self.query_one("#wizard-verdict", Static).update(status_text(self.snapshot))
        self.query_one("#wizard-draft", Static).update(f"draft: {self.book.status}")

    # ------------------------------------------------------------- steps

    def _show_step(self, focus_path: str | None = None, then: Callable | None = None) -> None:
        self.query_one(StepPanes).show_step(self.current_step, True, focus_path, then)

    def _load(self, pane: StepPane) -> None:
        if pane.ready:
            pane.load()

    def go_to(
        self, step: Step | str, focus_path: str | None = None, then: Callable | None = None
    ) -> None:
        step = Step(step)
        if focus_path:
            self.revealed.add(step)  # a jump to a problem shows it at its field
        if step != self.current_step:
            self.revealed.add(self.current_step)
            self.current_step = step
            self.visited.add(step)
            self.writer.write_soon()
            # keys pressed until the step's field has focus wait for it: none lands on
            # a widget of the step just left
            self.await_fields()
            self.set_focus(None)
        self._refresh()
        self._show_step(focus_path, then)

    @on(StepList.StepChosen)
    def _step_chosen(self, event: StepList.StepChosen) -> None:
        event.stop()
        self.go_to(event.step)

    def action_next_step(self) -> None:
        i = STEP_ORDER.index(self.current_step)
        if i + 1 < len(STEP_ORDER):
            self.go_to(STEP_ORDER[i + 1])

    def action_previous_step(self) -> None:
        i = STEP_ORDER.index(self.current_step)
        if i > 0:
            self.go_to(STEP_ORDER[i - 1])

    def action_next_problem(self) -> None:
        """Jump to the field of the next problem that blocks saving, from any step."""
        problems = self.snapshot.problems
        if not problems:
            self.notify("Nothing to fix: ctrl+s saves.", timeout=3)
            return
        problem = problems[self._fix_index % len(problems)]
        self._fix_index += 1
        self.notify(problem.text, title="To fix", timeout=4)
        self.go_to(problem.step, focus_path=problem.path)

    # ------------------------------------------------------------ saving

    def action_save(self) -> None:
        if self.saver.saving or self.book.finished:
            return
        self.revealed.update(STEP_ORDER)
        self._recheck()
        assessment = self.snapshot.assessment
        if assessment is None:
            message, title = unsaved_notice(len(self.snapshot.problems))
            self.notify(message, title=title, severity="warning")
            self.go_to(Step.review)  # which focuses the list of problems
            return
        ready = to_save(self.original, assessment)
        if ready is None:  # a decision made before, on other content
            self._ask_redecide(assessment)
        else:
            self._save(ready)

    def _save(self, assessment: Assessment) -> None:
        self.saver.save(assessment, self.editing)
        self._show_status()

    def _ask_redecide(self, assessment: Assessment) -> None:
        """The content under a decision made before changed: re-made now, or kept (stale)?"""
        decision = assessment.decision
        assert decision is not None

        def answered(answer: Redecision | None) -> None:
            if answer is None:
                self.notify("Not saved: the form is as you left it.", title="Saving cancelled")
                return
            if not answer.again:
                self._kept_stale = decision.decided_on.isoformat()
                self._save(assessment)
                return
            ev = self.snapshot.evaluation
            review_by = review_by_again(
                self.original, self.today, ev.residual_priority if ev else None
            )
            again = redecided(assessment, answer.deciders, answer.rationale, self.today, review_by)
            self.data["decision"] = from_assessment(again)["decision"]
            self.follows.verdict = False
            self._recheck()
            if self.current_step == Step.review:
                self.pane().load()
            self._save(again)

        self.app.push_screen(RedecideScreen.about(decision, self.today), answered)

    @on(RevisionSaver.Saved)
    def _revision_saved(self, event: RevisionSaver.Saved) -> None:
        info = event.info
        self.app.post_message(AssessmentSaved(info.feature_id, info.number, info.created))
        message, title = saved_notice(info, self.book.file)
        if self._kept_stale and info.created:
            message += f" Decision kept: {stale_note(self._kept_stale)}."
        self.app.notify(message, title=title)
        self.dismiss(info)

    @on(RevisionSaver.Failed)
    def _revision_failed(self, event: RevisionSaver.Failed) -> None:
        self._show_status()

    # --------------------------------------------------------- autosave

    @on(DraftWriter.Stored)
    def _draft_stored(self, event: DraftWriter.Stored) -> None:
        self._show_status()
        self.app.post_message(DraftSaved(event.feature_id, event.step))

    @on(DraftWriter.Failed)
    def _draft_failed(self, event: DraftWriter.Failed) -> None:
        from .problem import describe_error

        title, message = describe_error(event.error)
        self.book.write_failed(title)
        self._show_status()
        self.notify(message, title=title, severity="error", timeout=8)

    def flush_draft(self) -> None:
        """Write the unsaved state as a draft now, blocking (the app is about to exit);
        never raises."""
        self.writer.write_now()

    async def on_unmount(self) -> None:
        """Leaving, quitting or closing: write what is not in the draft yet."""
        await self.writer.write_on_close()

    def action_leave(self) -> None:
        """Back to where the wizard was opened from; the draft keeps every change."""
        if self.saver.saving:
            self.notify("Saving the revision: a moment.", timeout=2)
            return
        if self.book.dirty(self.data) or (self.book.draft_key and not self.book.finished):
            self.app.notify(leave_notice(self.editing), title="Left the assessment")
        self.dismiss(None)

    # ------------------------------------------------------------ palette

    def commands(self) -> list[Command]:
        """Every action for the command palette: the screen's own, going to each step,
        and each step's (run once it is shown). Save, next and previous step and leave
        are key bindings, which the app's palette lists."""
        discard = (
            "Discard this draft and leave",
            "Forget the unsaved changes",
            self.action_discard,
        )
        return [discard, *self.query_one(StepPanes).commands(self.go_to)]

    def action_discard(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.book.finished = True  # nothing more is written, not even on close
                # An app worker: it must outlive this screen.
                self.app.run_worker(
                    self.book.discard, thread=True, exit_on_error=False, group="wizard-discard"
                )
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen("Discard every unsaved change of this assessment?", yes="Discard"),
            answered,
        )
