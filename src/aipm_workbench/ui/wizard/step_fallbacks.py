"""Step (e): fallbacks, what the product does when things go wrong, the
human-review load check, and the residual ratings of every harm."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Select, Static

from ...domain import RATINGS, SCALES, FallbackKind, Step
from ...domain.formatting import tier_label
from ..widgets.rating import RatingScale
from .base import ItemSelect, PressButton, StepPane, TierBadge
from .coverage import CoverageItem, CoverageList
from .dialogs import ConfirmScreen
from .fields import Field, Scope, choice, text_input
from .live import Live
from .protocol import Command
from .state import rated_tier, unique_slug

KINDS = {
    "human_review": "human review: a person checks it first",
    "abstain": "abstain: no output when unsure",
    "degrade": "degrade: a non-AI path instead",
    "warn_user": "warn user: tell the user the risk",
    "block": "block: refuse it",
    "kill_switch": "kill switch: turn the feature off",
    "rollback": "rollback: back to the last version",
    "monitor": "monitor: watch for it and alert",
}
assert set(KINDS) == {k.value for k in FallbackKind}

# The fields that apply to some kinds only. A confidence threshold is what
# routes a case to a person (human review), to no output (abstain) or to the
# non-AI path (degrade) (DOMAIN.md section 1); the load check's numbers are for
# human review alone (DOMAIN.md section 7, F09). A field of another kind that
# holds a value (from a file) is still shown, so that nothing is hidden.
KIND_FIELDS: dict[str, frozenset[FallbackKind]] = {
    "confidence_threshold": frozenset(
        {FallbackKind.human_review, FallbackKind.abstain, FallbackKind.degrade}
    ),
    "requests_per_day": frozenset({FallbackKind.human_review}),
    "share_below_threshold": frozenset({FallbackKind.human_review}),
    "reviewer_capacity_per_day": frozenset({FallbackKind.human_review}),
}

WARN_RULE = (
    "A warning cannot mitigate an irreversible harm: when every fallback covering a harm with "
    "reversibility 5 is warn_user, its residual severity and reversibility stay at the inherent "
    "values, whatever is claimed here."
)


def fallback_label(fallback: dict, index: int) -> str:
    fid = fallback.get("id") or "(no id)"
    kind = fallback.get("kind") or "no kind yet"
    return f"{index + 1}. {fid} · {kind}"


def fallback_name(fallback: dict, index: int) -> str:
    """A fallback as sentences name it: ``fallback 3 'kill-switch'``, or ``fallback 3``."""
    fid = fallback.get("id")
    return (
        f"fallback {index + 1} {fid!r}" if isinstance(fid, str) and fid else f"fallback {index + 1}"
    )


def applies(key: str, fallback: dict) -> bool:
    """Whether a kind-specific field is shown for this fallback."""
    kinds = KIND_FIELDS.get(key)
    return kinds is None or fallback.get("kind") in kinds or fallback.get(key) is not None


def harm_tier(harm: dict, evaluation) -> str:
    """A harm's inherent tier in words, from the evaluation or its four ratings."""
    result = evaluation.harm(harm.get("id")) if evaluation is not None else None
    if result is not None:
        return f"inherent {tier_label(result.inherent.tier)}"
    tier = rated_tier(harm)
    return f"inherent {tier_label(tier)}" if tier is not None else "not rated yet"


def coverage_items(harms: list[dict], evaluation) -> list[CoverageItem]:
    """The harms a fallback can cover (those with an id), numbered as in step 2."""
    out, seen = [], set()
    for i, harm in enumerate(harms):
        hid = harm.get("id")
        if isinstance(hid, str) and hid and hid not in seen:
            seen.add(hid)
            out.append(CoverageItem(hid, i + 1, harm_tier(harm, evaluation)))
    return out


def uncovered_text(items: list[CoverageItem], fallbacks: list[dict]) -> str:
    """Which harms no fallback covers, in words."""
    if not items:
        return "No harms to cover yet: add them in step 2."
    covered = {c for f in fallbacks if isinstance(f.get("covers"), list) for c in f["covers"]}
    left = [f"harm {i.number} {i.harm_id} ({i.tier})" for i in items if i.harm_id not in covered]
    if not left:
        return "Every harm is covered by at least one fallback."
    return "Not covered by any fallback yet: " + ", ".join(left) + "."


def load_check(fallback: dict) -> tuple[str, bool]:
    """The human-review load check as text, and whether it fails."""
    requests = fallback.get("requests_per_day")
    share = fallback.get("share_below_threshold")
    capacity = fallback.get("reviewer_capacity_per_day")
    numbers = [v for v in (requests, share, capacity) if isinstance(v, int | float)]
    if len(numbers) < 3:
        return (
            "Load check: give requests per day, the share below the threshold and reviewer "
            "capacity to compare the review load with capacity.",
            False,
        )
    load = requests * share  # type: ignore[operator]
    head = f"Load check: {requests:,.0f} requests/day x {share:.1%} below threshold = {load:,.0f} reviews/day"
    if fallback.get("kind") != "human_review":
        return (
            head + f" (capacity {capacity:,.0f}); the check applies to human_review fallbacks.",
            False,
        )
    if load > capacity:  # type: ignore[operator]
        return (
            head
            + f", over the reviewers' capacity of {capacity:,.0f} by {load - capacity:,.0f} (F09): "  # type: ignore[operator]
            "add capacity, lower the share below the threshold, or limit the rollout.",
            True,
        )
    used = load / capacity if capacity else 0  # type: ignore[operator]
    return head + f", within the reviewers' capacity of {capacity:,.0f} ({used:.0%} used).", False


class ResidualBlock(Scope):
    """One harm's residual ratings (blank: the same as inherent) and its residual tier."""

    def __init__(self, index: int) -> None:
        super().__init__(f"harms[{index}].residual", classes="residual-block")
        self.index = index

    def compose(self) -> ComposeResult:
        yield Live(classes="residual-head")
        for key in RATINGS:
            yield Field(
                key,
                None,
                RatingScale(key, compact=True, blank_label="same as inherent"),
                kind="rating",
                classes="-compact",
            )
        with Horizontal(classes="residual-result"):
            yield TierBadge("-")
            yield Live(markup=False, classes="residual-rule")
        yield Live(classes="residual-note", markup=False)


class FallbacksStep(StepPane):
    step = Step.fallbacks
    title = "5 · Fallbacks and residual risk"
    intro = "What the product does when things go wrong, which harms each fallback covers, and the ratings after them."
    _coverage_of: int | None = None  # the fallback whose coverage the list shows

    def compose_header(self) -> ComposeResult:
        with Horizontal(classes="item-bar"):
            yield ItemSelect([], prompt="No fallbacks yet", compact=True, id="fallbacks-select")
            yield PressButton("Add fallback", id="add-fallback", compact=True, variant="primary")
            yield Button("Remove", id="remove-fallback", compact=True)

    def compose_body(self) -> ComposeResult:
        yield Live(
            "No fallbacks yet. Add fallback: human review, abstain, degrade, warn, block, "
            "kill switch, rollback or monitor.",
            id="fallbacks-empty",
            classes="empty",
        )
        yield Scope(
            "fallbacks[0]",
            Field(
                "kind",
                "Kind",
                choice(
                    list((v, k) for k, v in KINDS.items()),
                    prompt="what happens?",
                    id="fallback-kind",
                ),
                kind="choice",
                required=True,
            ),
            Field(
                "id",
                "Fallback id",
                text_input("derived from the kind", id="fallback-id"),
                required=True,
            ),
            Field(
                "covers",
                "Covers harms",
                CoverageList(id="fallback-covers"),
                kind="covers",
                required=True,
                hint="Space ticks or unticks the harm under the cursor.",
            ),
            Live(id="fallback-uncovered", classes="guidance", markup=False),
            Field(
                "trigger",
                "Trigger",
                text_input("when does it kick in?", id="fallback-trigger"),
                required=True,
            ),
            Field(
                "action",
                "Action",
                text_input("what does the product do?", id="fallback-action"),
                required=True,
            ),
            Field(
                "user_message",
                "User message",
                text_input("what the user sees", id="fallback-message"),
            ),
            Field("owner", "Owner", text_input("who keeps it working", id="fallback-owner")),
            Field(
                "confidence_threshold",
                "Conf. threshold",
                text_input("0..1, e.g. 0.6", id="fallback-threshold"),
                kind="number",
            ),
            Field(
                "tested_on",
                "Tested on",
                text_input("YYYY-MM-DD, when last exercised", id="fallback-tested"),
                kind="date",
            ),
            Field(
                "requests_per_day",
                "Requests/day",
                text_input("for the human-review load check", id="fallback-requests"),
                kind="number",
            ),
            Field(
                "share_below_threshold",
                "Share below thr.",
                text_input("0..1 or 5%", id="fallback-share"),
                kind="share",
            ),
            Field(
                "reviewer_capacity_per_day",
                "Reviews/day cap.",
                text_input("reviewer capacity per day", id="fallback-capacity"),
                kind="number",
            ),
            Live(id="fallback-load", classes="live", markup=False),
            # Where Tab goes after the last field: the next fallback is one key away.
            PressButton("Add another fallback", id="add-another-fallback", compact=True),
            id="fallback-form",
        )
        yield Live("Residual risk after the fallbacks", classes="section-title")
        yield Live(WARN_RULE, classes="guidance", markup=False)
        yield Live(
            "Blank residual ratings equal the inherent ones (type 1-5 or use left/right; 0 or "
            "Backspace clears); a harm no fallback covers keeps its inherent ratings.",
            classes="guidance",
            markup=False,
        )
        yield Vertical(id="residual-blocks")

    @property
    def fallbacks(self) -> list[dict]:
        return self.data["fallbacks"]

    def load(self) -> None:
        fallbacks = self.fallbacks
        current = self.wizard.current_fallback
        self.query_one("#fallbacks-select", ItemSelect).show_items(
            [fallback_label(f, i) for i, f in enumerate(fallbacks)], current
        )
        self.query_one("#fallbacks-empty").display = not fallbacks
        self.query_one("#fallback-form").display = bool(fallbacks)
        self.query_one("#remove-fallback").disabled = not fallbacks
        self._show_coverage()
        if fallbacks:
            self.query_one("#fallback-form", Scope).base = f"fallbacks[{current}]"
            self._show_kind_fields()
        self._sync_blocks()
        if fallbacks:
            super().load()
        else:
            for block in self.query(ResidualBlock):
                for field in block.query(Field):
                    field.load(self.wizard.get(field.path))
        self.refresh_live(self.wizard.snapshot)

    def _show_coverage(self) -> None:
        """The harms offered in "Covers harms", ticked as the current fallback says."""
        fallbacks = self.fallbacks
        items = coverage_items(self.data["harms"], self.wizard.snapshot.evaluation)
        fallback = fallbacks[self.wizard.current_fallback] if fallbacks else {}
        covers = fallback.get("covers") if isinstance(fallback.get("covers"), list) else []
        index = self.wizard.current_fallback if fallbacks else None
        fresh, self._coverage_of = index != self._coverage_of, index
        self.query_one("#fallback-covers", CoverageList).show(items, covers, fresh=fresh)
        self.query_one("#fallback-uncovered", Static).update(uncovered_text(items, fallbacks))

    def _show_kind_fields(self) -> None:
        """Only the fields that apply to the current fallback's kind."""
        fallback = self.fallbacks[self.wizard.current_fallback]
        for field in self.query_one("#fallback-form", Scope).query(Field):
            if field.key in KIND_FIELDS:
                field.display = applies(field.key, fallback)
        self.query_one("#fallback-load").display = applies("requests_per_day", fallback)

    def _sync_blocks(self) -> None:
        container = self.query_one("#residual-blocks", Vertical)
        blocks = list(container.query(ResidualBlock))
        count = len(self.data["harms"])
        if len(blocks) != count:
            self.track(container.remove_children())
            self.track(container.mount_all([ResidualBlock(i) for i in range(count)]))
            self.call_after_refresh(self._load_blocks)

    def _load_blocks(self) -> None:
        for block in self.query(ResidualBlock):
            for field in block.query(Field):
                field.load(self.wizard.get(field.path))
        self.refresh_live(self.wizard.snapshot)

    def refresh_live(self, snapshot) -> None:
        fallbacks = self.fallbacks
        if fallbacks:
            labels = [fallback_label(f, i) for i, f in enumerate(fallbacks)]
            self.query_one("#fallbacks-select", ItemSelect).show_items(
                labels, self.wizard.current_fallback
            )
            text, failing = load_check(fallbacks[self.wizard.current_fallback])
            load = self.query_one("#fallback-load", Static)
            load.update(text)
            load.set_class(failing, "-flagged")
        self._show_coverage()
        evaluation = snapshot.evaluation
        harms = self.data["harms"]
        for block in self.query(ResidualBlock):
            if block.index >= len(harms) or not block.is_mounted:
                continue
            harm = harms[block.index]
            hid = harm.get("id") or f"harm {block.index + 1}"
            inherent = [harm.get(k) if isinstance(harm.get(k), int) else None for k in RATINGS]
            for key, value, field in zip(RATINGS, inherent, block.query(Field), strict=False):
                scale = field.control
                assert isinstance(scale, RatingScale)
                label = (
                    f"same as inherent ({value}: {SCALES[key].anchor(value)})"
                    if value
                    else "same as inherent (not rated yet)"
                )
                if scale.blank_label != label:
                    scale.set_value(scale.value, label)
            result = evaluation.harm(hid) if evaluation else None
            covering = [
                f.get("id") or "(no id)"
                for f in self.fallbacks
                if isinstance(f.get("covers"), list) and hid in f["covers"]
            ]
            head = Text()
            head.append(f"{hid}", "bold")
            head.append(f"  covered by: {', '.join(covering) if covering else 'no fallback'}")
            block.query_one(".residual-head", Static).update(head)
            badge = block.query_one(TierBadge)
            rule = block.query_one(".residual-rule", Static)
            note = block.query_one(".residual-note", Static)
            notes = []
            if result is None:
                badge.show(None, "no tier yet")
                rule.update("complete this harm (steps 2 and 3) to see its residual tier")
            else:
                badge.show(result.residual.tier.name, f"residual {result.residual.tier.label}")
                rule.update(
                    f"rule {result.residual.rule.label} · rpn {result.residual_rpn} "
                    f"(inherent {result.inherent.tier.label}, rpn {result.rpn})"
                )
                detail = result.residual_detail
                if not detail.covered:
                    notes.append(
                        "No fallback covers this harm: its residual ratings are the inherent ones."
                    )
                if detail.warn_only_irreversible:
                    notes.append(
                        "Only warn_user fallbacks cover this irreversible harm: residual severity and "
                        "reversibility stay at the inherent values."
                    )
                if detail.warn_claims_refused:
                    notes.append(
                        "✖ F05: the lower severity or reversibility claimed here is refused."
                    )
            pending = [f for f in snapshot.left_out if f.startswith("fallbacks[")]
            if pending and covering:
                notes.append(
                    "Incomplete fallbacks are not counted until their required fields are filled."
                )
            note.update("\n".join(notes))
            note.display = bool(notes)

    # --------------------------------------------------------- actions

    @on(Select.Changed, "#fallbacks-select")
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, int):
            self.wizard.current_fallback = event.value
            self.load()

    @on(Button.Pressed, "#add-fallback, #add-another-fallback")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.add_fallback()

    @on(Button.Pressed, "#remove-fallback")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.remove_fallback()

    def after_change(self, path: str, old: object) -> None:
        """A fallback id follows its kind until the user edits it."""
        index = self.wizard.current_fallback
        if path != f"fallbacks[{index}].kind" or index >= len(self.fallbacks):
            return
        self._show_kind_fields()
        fallback = self.fallbacks[index]
        kind = fallback.get("kind")
        fid = fallback.get("id") or ""
        derived = [k.replace("_", "-") for k in KINDS]
        if kind and (not fid or any(fid == d or fid.startswith(d + "-") for d in derived)):
            taken = {f.get("id") for i, f in enumerate(self.fallbacks) if i != index}
            fallback["id"] = unique_slug(kind.replace("_", "-"), taken)
            field = self.query_one("#fallback-id").parent.parent
            assert isinstance(field, Field)
            field.load(fallback["id"])

    def commands(self) -> list[Command]:
        return [
            ("Add fallback", "A new fallback", self.add_fallback),
            ("Remove fallback", "Remove the current fallback", self.remove_fallback),
        ]

    def add_fallback(self) -> None:
        """A new fallback, covering no harm until the user ticks some."""
        self.fallbacks.append({})
        self.wizard.current_fallback = len(self.fallbacks) - 1
        # keys pressed until its form is shown wait for the Kind field
        self.wizard.structure_changed(then=self.query_one("#fallback-kind").focus)

    def remove_fallback(self) -> None:
        if not self.fallbacks:
            return
        index = self.wizard.current_fallback
        name = fallback_name(self.fallbacks[index], index)

        def answered(yes: bool | None) -> None:
            if not yes or index >= len(self.fallbacks):
                return
            self.fallbacks.pop(index)
            self.wizard.current_fallback = max(0, min(index, len(self.fallbacks) - 1))
            self.wizard.structure_changed()
            self.query_one("#add-fallback").focus()

        self.app.push_screen(ConfirmScreen(f"Remove {name}?", yes="Remove"), answered)

    def first_focus(self):
        if not self.fallbacks:
            return self.query_one("#add-fallback")
        return super().first_focus()

    def focus_path(self, path: str) -> bool:
        if path.startswith("fallbacks["):
            index = int(path[len("fallbacks[") :].split("]")[0])
            if index < len(self.fallbacks) and index != self.wizard.current_fallback:
                self.wizard.current_fallback = index
                self.load()
        if path == "fallbacks":
            target = self.first_focus()
            if target is not None:
                target.focus()
            return True
        return super().focus_path(path)
