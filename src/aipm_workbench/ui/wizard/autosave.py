"""The wizard's draft bookkeeping, without a terminal: where the draft is stored,
what the store holds, and the store calls that write it.

The screen calls :meth:`DraftBook.prepare` on the main thread whenever it
wants the draft written (it numbers the write and remembers the data sent) and
runs :meth:`DraftBook.write` in a worker thread; :meth:`DraftBook.flush` does
both at once, blocking, for a screen that must write before the app exits. A
late write never overwrites a newer one (``seq``), and one lock orders every
store call of the wizard.

A brand-new feature whose id is not valid yet (or is taken) is drafted under a
provisional key, ``draft-YYYYMMDD-HHMMSS``; the draft moves to the real id as
soon as the id is valid and free.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .state import is_slug, normalise


class IdTaken(Exception):
    """A new feature's id was saved by someone else meanwhile."""

    def __init__(self, feature_id: str) -> None:
        super().__init__(
            f"A feature {feature_id!r} was saved in this workbench meanwhile. Choose another id "
            "in step 1, or leave and open that feature to edit it."
        )
        self.feature_id = feature_id
        self.title = "The id is taken"


@dataclass(frozen=True)
class DraftWrite:
    """One write of the draft: under ``key``, replacing the one under ``old``."""

    key: str
    data: dict
    step: str
    seq: int
    old: str | None


class DraftBook:
    """Autosave bookkeeping of one wizard.

    ``written`` is the data last sent to the store; ``seq`` numbers the writes
    and ``saved_seq`` is the one the store holds. ``finished`` is set once the
    assessment is saved as a revision (or discarded): no more drafts.
    """

    def __init__(self, data: dict, *, now: dt.datetime, draft_key: str | None = None) -> None:
        self.store: Any = None  # given when the screen is mounted
        self.workspace: Path | None = None  # a team's workspace: saves write its files
        self.file: str | None = None  # the workspace file the revision was written to
        self.provisional_key = "draft-" + now.strftime("%Y%m%d-%H%M%S")
        self.draft_key = draft_key  # where the draft is stored now
        self.written: dict | None = copy.deepcopy(data)
        self.seq = 0
        self.saved_seq = 0
        self.lock = threading.Lock()
        self.finished = False
        self.existing_ids: set[str] | None = None  # saved features' ids, once loaded
        self.other_drafts: set[str] = set()  # draft keys of other assessments
        self.status = "no changes yet"

    # ------------------------------------------------------------ state

    def dirty(self, data: dict) -> bool:
        """Changes the stored draft does not hold yet."""
        return not self.finished and data != self.written

    def target(self, data: dict, editing: bool) -> str:
        """The key to store the draft under: the feature id once it is valid and free."""
        fid = (data.get("feature") or {}).get("id")
        if editing:
            return fid if is_slug(fid) else (self.draft_key or self.provisional_key)
        if (
            is_slug(fid)
            and self.existing_ids is not None
            and fid not in self.existing_ids
            and fid not in self.other_drafts
        ):
            return fid
        return self.draft_key or self.provisional_key

    def extra_problems(self, data: dict, editing: bool) -> list[str]:
        """Problems only the store knows of: a new feature's id is already saved."""
        fid = (data.get("feature") or {}).get("id")
        if editing or not self.existing_ids or fid not in self.existing_ids:
            return []
        return [
            f"feature.id: a feature {fid!r} is already saved in this workbench: choose another "
            "id, or leave and open it from the portfolio to edit it"
        ]

    def context_loaded(
        self, feature_ids: set[str], drafts: list[Any], data: dict, *, editing: bool, resuming: bool
    ) -> Any | None:
        """The saved ids and stored drafts are known: note them, and return the
        stored draft (``storage.Draft``) to offer, if any: an edited feature's
        own draft that differs from its revision, or, for a blank new
        assessment, the latest draft of a feature never saved."""
        self.existing_ids = set(feature_ids)
        fid = (data.get("feature") or {}).get("id")
        by_key = {d.feature_id: d for d in drafts}
        offer = None
        if editing and not resuming:
            mine = by_key.get(fid)
            if mine is not None and normalise(mine.data) != data:
                offer = mine
            elif mine is not None:
                self.draft_key = mine.feature_id
        elif not resuming and not self.dirty(data):
            unsaved = [d for d in drafts if d.feature_id not in self.existing_ids]
            if unsaved:
                offer = max(unsaved, key=lambda d: d.updated_at)
        self.other_drafts = set(by_key) - {self.draft_key}
        return offer

    def edits_saved_feature(self, data: dict) -> bool:
        """A resumed draft stored under a saved feature's id edits that feature."""
        fid = (data.get("feature") or {}).get("id")
        return bool(self.existing_ids) and fid in self.existing_ids and self.draft_key == fid  # type: ignore[operator]

    def adopt(self, key: str, data: dict) -> None:
        """The wizard now continues the draft stored under ``key`` holding ``data``."""
        self.draft_key = key
        self.written = copy.deepcopy(data)
        self.other_drafts.discard(key)

    # ----------------------------------------------------------- writes

    def prepare(self, data: dict, step: str, editing: bool) -> DraftWrite | None:
        """Number a write of the current data (main thread); None when nothing changed."""
        if not self.dirty(data):
            return None
        key = self.target(data, editing)
        old, self.draft_key = self.draft_key, key
        self.seq += 1
        self.written = copy.deepcopy(data)
        self.status = "saving…"
        return DraftWrite(key, copy.deepcopy(data), step, self.seq, old)

    def write(self, w: DraftWrite) -> bool:
        """The store calls of one draft write (any thread); False if skipped."""
        with self.lock:
            if self.finished or w.seq <= self.saved_seq:
                return False
            self.store.save_draft(w.key, w.data, w.step)
            if w.old and w.old != w.key:
                self.store.discard_draft(w.old)
            self.saved_seq = w.seq
        return True

    def flush(self, data: dict, step: str, editing: bool) -> bool:
        """Write the draft now, blocking; True when something was written."""
        w = self.prepare(data, step, editing)
        if w is None:
            return False
        written = self.write(w)
        if written:
            self.status = "saved"
        return written

    def stored(self, seq: int) -> None:
        """A write finished (main thread)."""
        if seq >= self.seq:
            self.status = "saved"

    def write_failed(self, title: str) -> None:
        self.written = None  # the next change tries again
        self.status = "not saved: " + title.lower()

    # -------------------------------------------------------- revisions

    def save_revision(self, assessment: Any, editing: bool) -> Any:
        """Save the assessment as a revision and drop its draft (any thread). In a
        workspace the feature's file is written first (``services.workspace.save``)."""
        fid = assessment.feature.id
        with self.lock:
            if not editing and self.store.latest(fid) is not None:
                raise IdTaken(fid)
            if self.workspace is not None:
                from ...services.workspace import save

                self.file, info = save(self.workspace, self.store, assessment)
            else:
                info = self.store.save(assessment)
            if self.draft_key and self.draft_key != fid:
                self.store.discard_draft(self.draft_key)
            self.finished = True
        return info

    def discard(self) -> None:
        """Forget the draft (any thread): the user threw the changes away."""
        self.finished = True
        with self.lock:
            if self.draft_key:
                self.store.discard_draft(self.draft_key)
