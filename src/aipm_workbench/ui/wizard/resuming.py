"""Offering the wizard a stored draft when it opens.

Once the screen is mounted, a worker reads which features are saved and which
drafts are stored (and, for a resumed draft of a saved feature, that feature's
latest revision); the draft book then says whether a draft is offered, and
resuming one loads it into every step. A mixin of the wizard screen, which
provides what :class:`ResumesDrafts` declares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from ...domain import Assessment, Step
from .autosave import DraftBook
from .base import StepPane
from .derived import infer_follows
from .dialogs import ConfirmScreen, draft_question
from .state import STEP_ORDER, normalise

if TYPE_CHECKING:
    from ...storage import Draft
    from .derived import Follows
    from .state import Snapshot


@dataclass
class ContextLoaded(Message):
    """The ids of the features already saved, and the stored drafts."""

    feature_ids: set[str]
    drafts: list[Draft]
    saved: Assessment | None = None  # the latest revision of the feature a draft edits


class ResumesDrafts:
    """Mixin for the wizard screen: load the context, offer and resume a draft."""

    ContextLoaded = ContextLoaded

    app: Any
    book: DraftBook
    data: dict
    editing: bool
    resuming: bool
    source_assessment: Assessment | None
    current_step: Step
    visited: set[Step]
    follows: Follows
    snapshot: Snapshot
    post_message: Callable[[Message], bool]
    query: Callable[..., Any]
    _edits: Callable[[Assessment], None]
    _load: Callable[[StepPane], None]
    _recheck: Callable[[], None]
    _refresh: Callable[[], None]
    _show_step: Callable[[], None]
    pane: Callable[..., StepPane]

    @work(thread=True, exit_on_error=False, group="wizard-load")
    def _load_context(self) -> None:
        store = self.book.store
        saved = None
        if self.resuming and self.source_assessment is None and self.book.draft_key:
            stored = store.latest(self.book.draft_key)
            saved = stored.assessment if stored is not None else None
        self.post_message(ContextLoaded(set(store.feature_ids()), store.drafts(), saved))

    def on_context_loaded(self, event: ContextLoaded) -> None:
        event.stop()
        offer = self.book.context_loaded(
            event.feature_ids, event.drafts, self.data, editing=self.editing, resuming=self.resuming
        )
        if self.resuming and self.book.edits_saved_feature(self.data):
            self.editing = True  # a draft of a saved feature edits that feature
            if event.saved is not None:
                self._edits(event.saved)
            self._load(self.pane(Step.feature))
        if offer is not None:
            self._offer_draft(offer, new=not self.editing)
        self._refresh()

    def _offer_draft(self, draft: Draft, new: bool = False) -> None:
        """Ask whether to resume a stored draft (of this feature, or of a new one)."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.resuming = True
                self._use_draft(draft)
            elif not new:
                self.book.draft_key = draft.feature_id  # replaced as soon as anything changes

        self.app.push_screen(ConfirmScreen(*draft_question(draft, new)), answered)

    def _use_draft(self, draft: Draft) -> None:
        self.data = normalise(draft.data)
        self.book.adopt(draft.feature_id, self.data)
        self._recheck()
        self.follows = infer_follows(self.data, self.snapshot.evaluation)
        if self.source_assessment is not None:
            self._edits(self.source_assessment)
        if draft.step in {s.value for s in STEP_ORDER}:
            self.current_step = Step(draft.step)
            self.visited.add(self.current_step)
        for pane in self.query(StepPane):
            self._load(pane)
        self._refresh()
        self._show_step()
