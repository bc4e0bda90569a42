"""The guided assessment: a wizard from the feature to a saved decision.

The in-progress assessment is plain data (``ui/wizard/state.py``), validated
with ``domain.parse_assessment`` and evaluated with ``domain.evaluate`` on every
change, so tiers, bounds, findings and step states are always live. Every
change is autosaved to the feature's draft (debounced, on every step change and
when the screen closes); ``ctrl+s`` saves a new revision, which discards the
draft.

A brand-new feature whose id is not valid yet (or is taken) is drafted under a
provisional id, ``draft-YYYYMMDD-HHMMSS``; the draft moves to the real id as
soon as the id is valid.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Static
from textual.worker import Worker, WorkerState

from ...domain import Assessment, Step, default_review_by
from ..messages import AssessmentSaved, DatabaseFailed, DraftSaved
from ..widgets.step_list import StepList
from ..wizard.base import StepPane
from ..wizard.fields import FieldChanged
from ..wizard.footer import StepFooter
from ..wizard.live import Live
from ..wizard.state import (
    STEP_ORDER,
    STEP_TITLES,
    STEPS,
    Snapshot,
    check,
    from_assessment,
    get_path,
    is_slug,
    new_data,
    normalise,
    set_path,
    slugify,
    step_states,
)
from ..wizard.step_exposure import ExposureStep
from ..wizard.step_fallbacks import FallbacksStep
from ..wizard.step_feature import FeatureStep
from ..wizard.step_harms import HarmsStep
from ..wizard.step_learning import LearningStep
from ..wizard.step_ratings import RatingsStep
from ..wizard.step_review import ReviewStep

if TYPE_CHECKING:
    from ...storage import Draft, RevisionInfo

AUTOSAVE_DELAY = 0.7  # seconds of quiet before a draft is written
PANES = (FeatureStep, HarmsStep, RatingsStep, ExposureStep, FallbacksStep, LearningStep, ReviewStep)


# ------------------------------------------------------------- messages


@dataclass
class ContextLoaded(Message):
    """The ids of the features already saved, and this feature's stored draft."""

    feature_ids: set[str]
    drafts: list[Draft]


@dataclass
class DraftStored(Message):
    feature_id: str
    step: str
    seq: int


@dataclass
class StoreFailed(Message):
    """A store call failed; ``what`` it was: "save", "draft" or "load"."""

    title: str
    message: str
    what: str


@dataclass
class RevisionStored(Message):
    info: RevisionInfo


# -------------------------------------------------------------- commands


class WizardCommands(Provider):
    """Every action of the wizard, in the command palette."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        screen = self.screen
        if not isinstance(screen, WizardScreen):
            return []
        return screen.commands()

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


# ---------------------------------------------------------------- screen


class WizardScreen(Screen["RevisionInfo | None"]):
    """Walk through an assessment step by step and save a decision.

    ``WizardScreen()`` starts a new assessment; ``WizardScreen(assessment=latest)``
    edits a saved feature from its latest revision, and with ``draft=True``
    resumes that feature's stored draft when there is one (otherwise it asks).
    ``WizardScreen.resume(draft)`` continues any stored draft, including one of a
    feature never saved. ``step`` opens at a step (``feature``... ``review``).
    Dismisses with the saved revision's info, or None when left.
    """

    CSS_PATH = "wizard.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="wizard.save"),
        Binding("ctrl+n,alt+right", "next_step", "Next step", id="wizard.next"),
        Binding("ctrl+b,alt+left", "previous_step", "Prev step", id="wizard.previous"),
        Binding(
            "escape",
            "leave",
            "Leave",
            id="wizard.leave",
            tooltip="Back to the portfolio; the draft keeps every change",
        ),
        # Checked before the key reaches the focused field, so that what is typed
        # right after Tab lands in the next field (typeahead, pasted keystrokes).
        Binding("tab", "app.focus_next", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True),
    ]

    COMMANDS: ClassVar = {WizardCommands}
    AUTO_FOCUS = None  # the current step focuses its first field
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]

    def __init__(
        self,
        assessment: Assessment | dict | None = None,
        step: str | None = None,
        draft: bool = False,
        *,
        data: dict | None = None,
        draft_key: str | None = None,
    ) -> None:
        super().__init__()
        if isinstance(assessment, dict):  # a draft's data that does not validate yet
            data, assessment = assessment, None
        self.source_assessment = assessment
        # draft=True: what is passed in is a stored draft, resumed as it is.
        self.resume_draft = draft or draft_key is not None
        if data is not None:
            self.data = normalise(data)
        elif assessment is not None:
            self.data = normalise(from_assessment(assessment))
        else:
            self.data = new_data()
        # Editing a saved feature (its id is fixed); for a resumed draft this is
        # known once the saved ids are loaded.
        self.editing = assessment is not None and not self.resume_draft
        self.current_step: Step = (
            Step(step) if step in {s.value for s in STEP_ORDER} else Step.feature
        )
        self.current_harm = 0
        self.current_fallback = 0
        self.visited: set[Step] = {self.current_step}
        self.revealed: set[Step] = set()
        self.existing_ids: set[str] | None = None
        self.other_drafts: set[str] = set()  # draft keys of other assessments
        self.provisional_key = "draft-" + dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.draft_key: str | None = draft_key  # where the draft is stored now
        self.verdict_follows = True
        self.review_by_follows = True
        self._cleared_ids: dict[str, Any] = {}  # harm id paths emptied while typing
        self.snapshot: Snapshot = check(self.data, self.today)
        self._infer_follows()
        # Autosave bookkeeping: ``_written`` is the data last sent to the store;
        # ``_seq`` numbers the writes, ``_saved_seq`` is the one the store holds
        # (a late write never overwrites a newer one). ``_store_lock`` orders
        # store calls.
        self._written: dict | None = copy.deepcopy(self.data)
        self._seq = 0
        self._saved_seq = 0
        self._store_lock = threading.Lock()
        self._finished = False  # saved as a revision: no more drafts
        self._saving = False
        self._autosave_timer: Timer | None = None
        self._draft_status = "no changes yet"

    @classmethod
    def resume(cls, draft: Draft, step: str | None = None) -> WizardScreen:
        """Continue a stored draft (``storage.Draft``) where it was left."""
        return cls(step=step or draft.step, data=draft.data, draft_key=draft.feature_id)

    # ------------------------------------------------------------ basics

    @property
    def today(self) -> dt.date:
        try:
            value = getattr(self.app, "today", None)
        except Exception:  # noqa: BLE001 - no app yet (constructing the screen)
            value = None
        if callable(value):
            value = value()
        if isinstance(value, dt.date):
            return value
        from ...settings import today

        return today()

    @property
    def store(self):
        return self.app.store  # type: ignore[attr-defined]

    def get(self, path: str) -> Any:
        return get_path(self.data, path)

    def pane(self, step: Step | None = None) -> StepPane:
        return self.query_one(f"#step-{(step or self.current_step).value}", StepPane)

    # ----------------------------------------------------------- compose

    def compose(self) -> ComposeResult:
        with Horizontal(id="wizard-head"):
            yield Live(id="wizard-title", markup=False, fixed=True)
            yield Live(id="wizard-counter", markup=False)
        with Horizontal(id="wizard-body"):
            yield StepList([(s.value, title) for s, title in STEPS], id="wizard-steps")
            with ContentSwitcher(id="wizard-panes", initial=f"step-{self.current_step.value}"):
                for pane in PANES:
                    yield pane(self)
        with Horizontal(id="wizard-status"):
            yield Live(id="wizard-verdict", markup=False)
            yield Live(id="wizard-draft", markup=False)
        yield StepFooter()

    def on_mount(self) -> None:
        self._show_step(focus=True)
        # The saved ids (a new feature's id must be free) and the stored drafts
        # (the one this screen resumes; an edit's unsaved draft is offered).
        self._load_context()

    # -------------------------------------------------------- the values

    @on(FieldChanged)
    def _field_changed(self, event: FieldChanged) -> None:
        event.stop()
        path, value = event.path, event.value
        old = self.get(path)
        if old == value:
            return
        set_path(self.data, path, value)
        self._follow(path, old, value)
        self.pane().after_change(path, old)
        self.changed()

    def _follow(self, path: str, old: Any, value: Any) -> None:
        """Values derived from others until the user edits them."""
        feature = self.data["feature"]
        if path == "feature.name" and not self.editing:
            current = feature.get("id")
            if current in (None, "") or current == slugify(old or ""):
                new_id = slugify(value or "") or None
                set_path(self.data, "feature.id", new_id)
                for field in self.pane(Step.feature).query("Field"):  # none unless built
                    if field.path == "feature.id":
                        field.load(new_id)
        elif path.startswith("harms[") and path.endswith("].id"):
            # Typing a new id passes through an empty one: keep the id the
            # fallbacks know until a new one is typed.
            if not value:
                self._cleared_ids.setdefault(path, old)
            else:
                self.rename_harm(self._cleared_ids.pop(path, None) or old, value)

    def rename_harm(self, old: Any, new: Any) -> None:
        """Keep fallbacks' coverage when a harm's id changes or it is removed."""
        if not old:
            return
        if sum(1 for h in self.data["harms"] if h.get("id") == old) > 0:
            return  # another harm still has the old id
        for fallback in self.data["fallbacks"]:
            covers = fallback.get("covers")
            if isinstance(covers, list) and old in covers:
                if new:
                    fallback["covers"] = [new if c == old else c for c in covers]
                else:
                    fallback["covers"] = [c for c in covers if c != old]

    def ensure_decision(self) -> None:
        """The decision table, with the recommendation and today's date, once the
        review step is reached."""
        if isinstance(self.data.get("decision"), dict):
            return
        ev = self.snapshot.evaluation
        self.data["decision"] = {
            "verdict": ev.recommended.value if ev else "hold",
            "status": "proposed",
            "decided_on": self.today.isoformat(),
        }
        self.verdict_follows = True
        self.review_by_follows = True
        self.changed()

    def _infer_follows(self) -> None:
        decision = self.data.get("decision")
        ev = self.snapshot.evaluation
        if not isinstance(decision, dict) or ev is None:
            return
        self.verdict_follows = decision.get("verdict") == ev.recommended.value
        try:
            decided = dt.date.fromisoformat(decision.get("decided_on", ""))
        except (TypeError, ValueError):
            self.review_by_follows = False
            return
        default = default_review_by(decided, ev.residual_priority).isoformat()
        self.review_by_follows = decision.get("review_by") in (None, default)

    def _apply_defaults(self, snapshot: Snapshot) -> bool:
        """The verdict follows the recommendation and review_by its default, until
        the user chooses otherwise. True when the data changed."""
        decision = self.data.get("decision")
        ev = snapshot.evaluation
        if not isinstance(decision, dict) or ev is None:
            return False
        changed = False
        if self.verdict_follows and decision.get("verdict") != ev.recommended.value:
            decision["verdict"] = ev.recommended.value
            changed = True
        if self.review_by_follows:
            try:
                decided = dt.date.fromisoformat(decision.get("decided_on", ""))
            except (TypeError, ValueError):
                decided = None
            if decided is not None:
                default = default_review_by(decided, ev.residual_priority).isoformat()
                if decision.get("review_by") != default:
                    decision["review_by"] = default
                    changed = True
        return changed

    def _recheck(self) -> None:
        extra = []
        fid = self.data["feature"].get("id")
        if not self.editing and self.existing_ids and fid in self.existing_ids:
            extra.append(
                f"feature.id: a feature {fid!r} is already saved in this workbench: choose "
                "another id, or leave and open it from the portfolio to edit it"
            )
        snapshot = check(self.data, self.today, extra)
        if self._apply_defaults(snapshot):
            snapshot = check(self.data, self.today, extra)
            if self.current_step == Step.review:
                pane = self.pane()
                for field in pane.query("Field"):
                    if field.path in ("decision.verdict", "decision.review_by"):
                        field.load(self.get(field.path))
        self.snapshot = snapshot

    def changed(self) -> None:
        """The data changed: revalidate, refresh what shows it, schedule the autosave."""
        if self._dirty():
            self._draft_status = "unsaved changes"
        self._refresh()
        self._schedule_autosave()

    def structure_changed(self, then: Callable[[], Any] | None = None) -> None:
        """Items were added or removed: reload the current step's fields (``then``
        runs once the new items are mounted and loaded)."""
        self.current_harm = max(0, min(self.current_harm, len(self.data["harms"]) - 1))
        self.current_fallback = max(0, min(self.current_fallback, len(self.data["fallbacks"]) - 1))
        self._cleared_ids.clear()
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

    # ----------------------------------------------------------- display

    def _refresh(self) -> None:
        self._recheck()
        snapshot = self.snapshot
        pane = self.pane()
        if pane.built:
            pane.refresh_live(snapshot)
        reveal = self.current_step in self.revealed
        for field in pane.query("Field"):
            problems = [p for p in snapshot.problems_at(field.path) if reveal or not p.missing]
            texts = [p.message if p.path == field.path else p.text for p in problems]
            field.show_problem("; ".join(texts) if texts else None)
        states = step_states(snapshot, self.visited)
        self.query_one(StepList).show(
            {s.value: state.value for s, state in states.items()}, self.current_step.value
        )
        self._show_title()
        self._show_status()

    def _show_title(self) -> None:
        feature = self.data["feature"]
        name = feature.get("name") or "(unnamed)"
        fid = feature.get("id") or "no id yet"
        if self.resume_draft:
            head = f"Draft of {name} ({fid})"
        elif self.editing:
            head = f"Editing {name} ({fid})"
        else:
            head = f"New assessment: {name} ({fid})"
        self.query_one("#wizard-title", Static).update(head)
        self.query_one("#wizard-counter", Static).update(
            f"· step {STEP_ORDER.index(self.current_step) + 1} of {len(STEP_ORDER)}: "
            f"{STEP_TITLES[self.current_step]}"
        )

    def _show_status(self) -> None:
        ev = self.snapshot.evaluation
        parts = []
        if ev is not None:
            if ev.priority is not None and ev.residual_priority is not None:
                parts.append(f"{ev.priority.label} inherent, {ev.residual_priority.label} residual")
            else:
                parts.append("no rated harm yet")
            parts.append(f"recommends {ev.recommended.label}")
            parts.append(f"{_count(ev.errors, 'error')}, {_count(ev.warnings, 'warning')}")
        if self.snapshot.problems:
            parts.append(f"{len(self.snapshot.problems)} to fix")
        self.query_one("#wizard-verdict", Static).update(" · ".join(parts))
        self.query_one("#wizard-draft", Static).update(f"draft: {self._draft_status}")

    # ------------------------------------------------------------- steps

    def _show_step(
        self,
        focus: bool = False,
        focus_path: str | None = None,
        then: Callable[[], Any] | None = None,
    ) -> None:
        """Show the current step; its widgets are built on its first showing."""
        self.query_one(ContentSwitcher).current = f"step-{self.current_step.value}"
        self.call_later(self._activate, self.pane(), focus, focus_path, then)

    async def _activate(
        self,
        pane: StepPane,
        focus: bool,
        focus_path: str | None,
        then: Callable[[], Any] | None,
    ) -> None:
        await pane.build()
        if pane is not self.pane():
            return
        pane.load()
        await pane.settled()
        pane.load()  # the items just mounted
        pane.shown()
        self._refresh()
        if focus_path and pane.focus_path(focus_path):
            self._refresh()  # the path may have chosen another harm or fallback
        elif focus:
            self.call_after_refresh(self._focus_first, pane)
        if then is not None:
            self.call_after_refresh(then)

    def _load(self, pane: StepPane) -> None:
        if pane.built:
            pane.load()

    def _focus_first(self, pane: StepPane) -> None:
        """Focus the step's first field (after the step's items are mounted)."""
        if pane is not self.pane():
            return
        target = pane.first_focus()
        if target is not None:
            target.focus(scroll_visible=False)
            pane.query_one(".step-body").scroll_home(animate=False)
            self.call_after_refresh(target.scroll_visible, animate=False)

    def go_to(
        self,
        step: Step | str,
        focus_path: str | None = None,
        then: Callable[[], Any] | None = None,
    ) -> None:
        step = Step(step)
        if focus_path:
            self.revealed.add(step)  # a jump to a problem shows it at its field
        if step != self.current_step:
            self.revealed.add(self.current_step)
            self.current_step = step
            self.visited.add(step)
            self._flush_autosave()
        self._refresh()
        self._show_step(focus=True, focus_path=focus_path, then=then)

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

    # ------------------------------------------------------------ saving

    def action_save(self) -> None:
        if self._saving or self._finished:
            return
        self.revealed.update(STEP_ORDER)
        self._recheck()
        assessment = self.snapshot.assessment
        if assessment is None:
            count = len(self.snapshot.problems)
            self.notify(
                f"Not saved: {count} problem{'s' if count != 1 else ''} to fix first; "
                "Enter on one jumps to its step.",
                title="Cannot save yet",
                severity="warning",
            )
            self.go_to(Step.review)  # which focuses the list of problems
            return
        self._saving = True
        self._draft_status = "saving the revision…"
        self._show_status()
        self._save_revision(assessment, self.draft_key, self.editing)

    @work(thread=True, exit_on_error=False, group="wizard-save")
    def _save_revision(self, assessment: Assessment, draft_key: str | None, editing: bool) -> None:
        from ...storage import StoreError

        store = self.store
        fid = assessment.feature.id
        try:
            with self._store_lock:
                if not editing and store.latest(fid) is not None:
                    self.post_message(
                        StoreFailed(
                            "The id is taken",
                            f"A feature {fid!r} was saved in this workbench meanwhile. Choose another "
                            "id in step 1, or leave and open that feature to edit it.",
                            "save",
                        )
                    )
                    return
                info = store.save(assessment)
                if draft_key and draft_key != fid:
                    store.discard_draft(draft_key)
                self._finished = True
        except StoreError as exc:
            title, message = _describe(exc)
            self.post_message(StoreFailed(title, message, "save"))
            return
        self.post_message(RevisionStored(info))

    @on(RevisionStored)
    def _revision_stored(self, event: RevisionStored) -> None:
        event.stop()
        info = event.info
        self._saving = False
        self._draft_status = "saved as a revision"
        self.app.post_message(AssessmentSaved(info.feature_id, info.number, info.created))
        if info.created:
            self.app.notify(f"Saved {info.feature_id} as revision {info.number}.", title="Saved")
        else:
            self.app.notify(
                f"No changes: revision {info.number} of {info.feature_id} is current.",
                title="Nothing new to save",
            )
        self.dismiss(info)

    @on(StoreFailed)
    def _store_failed(self, event: StoreFailed) -> None:
        event.stop()
        if event.what == "save":
            self._saving = False
            self._draft_status = "revision not saved"
            self.app.post_message(DatabaseFailed(event.title, event.message))
        elif event.what == "draft":
            self._written = None  # the next change tries again
            self._draft_status = "not saved: " + event.title.lower()
            self.notify(event.message, title=event.title, severity="error", timeout=8)
        else:
            self.app.post_message(DatabaseFailed(event.title, event.message))
        self._show_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An unexpected error in a worker: say so, never a traceback."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        title, message = _describe(event.worker.error)
        what = {"wizard-save": "save", "wizard-draft": "draft"}.get(event.worker.group, "load")
        self.post_message(StoreFailed(title, message, what))

    # --------------------------------------------------------- autosave

    def _schedule_autosave(self) -> None:
        if self._finished:
            return
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
        self._autosave_timer = self.set_timer(AUTOSAVE_DELAY, self._flush_autosave)

    def _draft_target(self) -> str:
        """The id to store the draft under: the feature id once it is valid and free."""
        fid = self.data["feature"].get("id")
        if self.editing:
            return fid if is_slug(fid) else (self.draft_key or self.provisional_key)
        if (
            is_slug(fid)
            and self.existing_ids is not None
            and fid not in self.existing_ids
            and fid not in self.other_drafts
        ):
            return fid
        return self.draft_key or self.provisional_key

    def _flush_autosave(self) -> None:
        """Write the draft now if anything changed since the last write."""
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
            self._autosave_timer = None
        if not self._dirty():
            return
        key = self._draft_target()
        old = self.draft_key
        self.draft_key = key
        self._seq += 1
        self._written = copy.deepcopy(self.data)
        self._draft_status = "saving…"
        self._store_draft(key, copy.deepcopy(self.data), self.current_step.value, self._seq, old)

    def _dirty(self) -> bool:
        """Changes the stored draft does not hold yet."""
        return not self._finished and self.data != self._written

    def _write_draft(self, key: str, data: dict, step: str, seq: int, old: str | None) -> bool:
        """The store calls of one draft write (run in a thread); False if skipped."""
        store = self.store
        with self._store_lock:
            if self._finished or seq <= self._saved_seq:
                return False
            store.save_draft(key, data, step)
            if old and old != key:
                store.discard_draft(old)
            self._saved_seq = seq
        return True

    @work(thread=True, exit_on_error=False, group="wizard-draft")
    def _store_draft(self, key: str, data: dict, step: str, seq: int, old: str | None) -> None:
        from ...storage import StoreError

        try:
            if self._write_draft(key, data, step, seq, old):
                self.post_message(DraftStored(key, step, seq))
        except StoreError as exc:
            title, message = _describe(exc)
            self.post_message(StoreFailed(title, message, "draft"))

    @on(DraftStored)
    def _draft_stored(self, event: DraftStored) -> None:
        event.stop()
        if event.seq >= self._seq:
            self._draft_status = "saved"
            self._show_status()
        self.app.post_message(DraftSaved(event.feature_id, event.step))

    async def on_unmount(self) -> None:
        """Leaving, quitting or closing: write what is not in the draft yet."""
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
        if not self._dirty():
            return
        key = self._draft_target()
        old, self.draft_key = self.draft_key, key
        self._seq += 1
        try:
            await asyncio.to_thread(
                self._write_draft,
                key,
                copy.deepcopy(self.data),
                self.current_step.value,
                self._seq,
                old,
            )
        except Exception:  # noqa: BLE001 - closing: the last autosaved draft stays
            return

    def action_leave(self) -> None:
        """Back to where the wizard was opened from; the draft keeps every change."""
        if self._saving:
            self.notify("Saving the revision: a moment.", timeout=2)
            return
        if self._dirty() or (self.draft_key and not self._finished):
            where = (
                "Edit (E) on the feature resumes it."
                if self.editing
                else "New (n) offers to resume it, and so does the next start."
            )
            self.app.notify(f"Draft kept: {where}", title="Left the assessment")
        self.dismiss(None)

    # ------------------------------------------------------------ context

    @work(thread=True, exit_on_error=False, group="wizard-load")
    def _load_context(self) -> None:
        from ...storage import StoreError

        store = self.store
        try:
            ids = set(store.feature_ids())
            drafts = store.drafts()
        except StoreError as exc:
            title, message = _describe(exc)
            self.post_message(StoreFailed(title, message, "load"))
            return
        self.post_message(ContextLoaded(ids, drafts))

    def _match_draft(self, drafts: list[Draft]) -> Draft | None:
        """The stored draft this screen resumes (``draft=True`` without its key)."""
        fid = self.data["feature"].get("id")
        for d in drafts:
            if d.feature_id == self.draft_key:
                return d
        for d in drafts:
            if normalise(d.data) == self.data:
                return d
        for d in drafts:
            feature = d.data.get("feature") if isinstance(d.data, dict) else None
            if fid and isinstance(feature, dict) and feature.get("id") == fid:
                return d
        return None

    @on(ContextLoaded)
    def _context_loaded(self, event: ContextLoaded) -> None:
        event.stop()
        self.existing_ids = event.feature_ids
        drafts = event.drafts
        fid = self.data["feature"].get("id")
        mine: Draft | None = None
        if self.resume_draft:
            mine = self._match_draft(drafts)
            if mine is not None:
                self.draft_key = mine.feature_id
            # A draft of a saved feature (stored under its id) edits that feature.
            if fid in event.feature_ids and (mine is None or mine.feature_id == fid):
                self.editing = True
                self._load(self.pane(Step.feature))
        elif self.editing:
            mine = next((d for d in drafts if d.feature_id == fid), None)
            if mine is not None and normalise(mine.data) != self.data:
                self._offer_draft(mine)
            elif mine is not None:
                self.draft_key = mine.feature_id
        elif not self._dirty():
            # A new assessment while one never saved is drafted: offer the latest.
            unsaved = [d for d in drafts if d.feature_id not in event.feature_ids]
            if unsaved:
                self._offer_draft(max(unsaved, key=lambda d: d.updated_at), new=True)
        self.other_drafts = {d.feature_id for d in drafts} - {self.draft_key}
        self._refresh()

    def _offer_draft(self, draft: Draft, new: bool = False) -> None:
        """Ask whether to resume a stored draft (of this feature, or of a new one)."""
        from ..wizard.dialogs import ConfirmScreen

        when = draft.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        feature = draft.data.get("feature") if isinstance(draft.data, dict) else None
        name = (feature or {}).get("name") or draft.feature_id

        def answered(yes: bool | None) -> None:
            if yes:
                self.resume_draft = True
                self._use_draft(draft)
            elif not new:
                self.draft_key = draft.feature_id  # replaced as soon as anything changes

        if new:
            question = (
                f"You have an unsaved new assessment, {name!r} (last changed {when}). "
                "Resume it? Otherwise a blank one starts, and that draft is kept."
            )
            yes, no = "Resume it", "Start a blank one"
        else:
            question = (
                f"An unsaved draft of {draft.feature_id} from {when} exists. Resume it? "
                "Otherwise you start from the latest revision, and the draft is replaced "
                "as soon as you change anything."
            )
            yes, no = "Resume the draft", "Start from the revision"
        self.app.push_screen(ConfirmScreen(question, yes=yes, no=no), answered)

    def _use_draft(self, draft: Draft) -> None:
        self.data = normalise(draft.data)
        self._written = copy.deepcopy(self.data)  # what the store holds
        self.draft_key = draft.feature_id
        self.other_drafts.discard(draft.feature_id)
        self._recheck()
        self._infer_follows()
        if draft.step in {s.value for s in STEP_ORDER}:
            self.current_step = Step(draft.step)
            self.visited.add(self.current_step)
        for pane in self.query(StepPane):
            self._load(pane)
        self._refresh()
        self._show_step(focus=True)

    # ------------------------------------------------------------ palette

    def commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """(name, help, callback) of every action, for the command palette."""
        # Save, next and previous step and leave are key bindings, which the app's
        # palette provider lists; these are the rest.
        out: list[tuple[str, str, Callable[[], Any]]] = [
            ("Discard this draft and leave", "Forget the unsaved changes", self.action_discard),
        ]
        for n, (step, title) in enumerate(STEPS, start=1):
            out.append(
                (
                    f"Go to step {n}: {title}",
                    f"Show the {title.lower()} step",
                    _bind(self.go_to, step),
                )
            )
        harms: HarmsStep = self.pane(Step.harms)  # type: ignore[assignment]
        fallbacks: FallbacksStep = self.pane(Step.fallbacks)  # type: ignore[assignment]
        learning: LearningStep = self.pane(Step.learning)  # type: ignore[assignment]
        exposure: ExposureStep = self.pane(Step.exposure)  # type: ignore[assignment]
        out += [
            (
                "Add harm",
                "Pick a harm type in the taxonomy browser",
                self._in(Step.harms, harms.add_harm),
            ),
            (
                "Browse the taxonomy",
                "Change the current harm's type",
                self._in(Step.harms, harms.change_type),
            ),
            ("Remove harm", "Remove the current harm", self._in(Step.harms, harms.remove_harm)),
            (
                "Clear the exposure estimate",
                "Remove the current harm's estimate",
                self._in(Step.exposure, exposure.clear_estimate),
            ),
            ("Add fallback", "A new fallback", self._in(Step.fallbacks, fallbacks.add_fallback)),
            (
                "Remove fallback",
                "Remove the current fallback",
                self._in(Step.fallbacks, fallbacks.remove_fallback),
            ),
            (
                "Add metric",
                "A success or guardrail metric",
                self._in(Step.learning, _bind(learning.add_item, "metrics")),
            ),
            (
                "Add hypothesis",
                "A falsifiable bet",
                self._in(Step.learning, _bind(learning.add_item, "hypotheses")),
            ),
            (
                "Add premortem item",
                "How it could fail",
                self._in(Step.learning, _bind(learning.add_item, "premortem")),
            ),
        ]
        return out

    def _in(self, step: Step, action: Callable[[], Any]) -> Callable[[], None]:
        return lambda: self.go_to(step, then=action)

    def action_discard(self) -> None:
        from ..wizard.dialogs import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._finished = True
                if self.draft_key:
                    store, key, lock = self.store, self.draft_key, self._store_lock
                    # An app worker: it must outlive this screen.
                    self.app.run_worker(
                        lambda: _discard(store, key, lock),
                        thread=True,
                        exit_on_error=False,
                        group="wizard-discard",
                    )
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen("Discard every unsaved change of this assessment?", yes="Discard"),
            answered,
        )


def _discard(store: Any, key: str, lock: threading.Lock) -> None:
    with lock:
        store.discard_draft(key)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _bind(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: fn(*args)


def _describe(exc: BaseException) -> tuple[str, str]:
    from .problem import describe_error

    return describe_error(exc)
