"""Step (f): what good looks like and how it could fail: metrics decided before
the decision, falsifiable hypotheses, and the premortem."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Select, Static

from ...domain import HypothesisStatus, MetricKind, Step
from .base import StepPane
from .dialogs import ConfirmScreen
from .fields import Field, Scope, choice, text_area, text_input
from .protocol import Command
from .state import Snapshot, is_slug, slugify, unique_slug

METRIC_KINDS = {
    "model": "model: precision, recall...",
    "product": "product: trust, escalations, overrides...",
    "guardrail": "guardrail: must not cross",
}
assert set(METRIC_KINDS) == {k.value for k in MetricKind}
STATUSES = [(s.value, s.value) for s in HypothesisStatus]
# The comparisons of a limit or a test (FORMAT.md): ``observed op value``.
OPS = [
    ("<   below", "<"),
    ("<=  at most", "<="),
    (">   above", ">"),
    (">=  at least", ">="),
]
OBSERVED_POPULATION = "population"  # a test may name the reach seen, declared or not


def metric_ids(data: dict) -> list[str]:
    """The ids a hypothesis test can name: the metrics' ids, then ``population``."""
    ids = [m.get("id") for m in data.get("metrics") or [] if isinstance(m, dict)]
    out = [i for i in ids if is_slug(i) and i != OBSERVED_POPULATION]
    return [*dict.fromkeys(out), OBSERVED_POPULATION]


def test_metric_options(data: dict, current: object = None) -> list[tuple[str, str]]:
    ids = metric_ids(data)
    if isinstance(current, str) and current and current not in ids:
        ids.append(current)  # shown as it is, with its problem
    return [(i if i != OBSERVED_POPULATION else "population (reach seen)", i) for i in ids]


def hypothesis_id(statement: str | None) -> str:
    words = (statement or "").split()[:6]
    return slugify(" ".join(words)) or "hypothesis"


class ItemBox(Scope):
    """One metric, hypothesis or premortem item, with a Remove button."""

    def __init__(self, collection: str, index: int, title: str, fields: list[Widget]) -> None:
        super().__init__(f"{collection}[{index}]", classes="item-box")
        self.collection = collection
        self.index = index
        self.border_title = f"{title} {index + 1}"
        self._fields = fields

    def compose(self) -> ComposeResult:
        yield from self._fields
        with Horizontal(classes="item-actions"):
            yield Button(f"Remove {self.border_title.lower()}", classes="remove-item", compact=True)


def metric_fields(data: dict | None = None) -> list[Widget]:
    return [
        Field("name", "Name", text_input("e.g. escalation rate"), required=True),
        Field(
            "id",
            "Id",
            text_input("derived from the name"),
            hint="Observations name it; a limit needs it.",
        ),
        Field(
            "kind",
            "Kind",
            choice([(v, k) for k, v in METRIC_KINDS.items()], prompt="which kind?"),
            kind="choice",
            required=True,
        ),
        Field("target", "Target", text_input("e.g. below 2% of summaries"), required=True),
        Field(
            "limit.op",
            "Limit",
            choice(OPS, prompt="no limit"),
            kind="choice",
            hint="Healthy while observed <op> value.",
        ),
        Field("limit.value", "Limit value", text_input("e.g. 0.02"), kind="number"),
        Field("unit", "Unit", text_input("e.g. share of summaries")),
        Field("decided_on", "Decided on", text_input("YYYY-MM-DD"), kind="date", required=True),
    ]


def hypothesis_fields(data: dict | None = None) -> list[Widget]:
    return [
        Field(
            "statement",
            "Statement",
            text_area("What do we bet is true?"),
            required=True,
        ),
        Field(
            "id",
            "Id",
            text_input("derived from the statement"),
            required=True,
        ),
        Field("falsified_if", "Falsified if", text_input("the result that proves it wrong")),
        Field("check_by", "Check by", text_input("YYYY-MM-DD"), kind="date"),
        Field("status", "Status", choice(STATUSES, blank=False, value="open"), kind="choice"),
        Field(
            "test.metric",
            "Test metric",
            choice(test_metric_options(data or {}), prompt="no test"),
            kind="choice",
            hint="An observation meeting it falsifies the bet.",
        ),
        Field("test.op", "Test", choice(OPS, prompt="-"), kind="choice"),
        Field("test.value", "Test value", text_input("e.g. 0.05"), kind="number"),
    ]


def premortem_fields(data: dict | None = None) -> list[Widget]:
    return [
        Field(
            "failure",
            "Failure",
            text_area("Six months on, this failed because..."),
            required=True,
        ),
        Field("signal", "Early signal", text_input("what would show it early")),
    ]


def typed(key: str, item: dict, today: Any) -> bool:
    """Whether an item holds anything beyond what adding it filled in."""
    defaults = {"metrics": {"decided_on": today.isoformat()}, "hypotheses": {"status": "open"}}
    given = defaults.get(key, {})
    return any(v not in (None, "", [], {}) and given.get(k) != v for k, v in item.items())


SECTIONS: dict[str, tuple[str, str, Any]] = {
    "metrics": (
        "Metric",
        "Success and guardrail metrics, decided before the decision.",
        metric_fields,
    ),
    "hypotheses": (
        "Hypothesis",
        "Falsifiable bets: what would prove each wrong, and by when.",
        hypothesis_fields,
    ),
    "premortem": (
        "Premortem item",
        "Six months on, it failed. Why? And what would show it early?",
        premortem_fields,
    ),
}
ADD_LABELS = {
    "metrics": "Add metric",
    "hypotheses": "Add hypothesis",
    "premortem": "Add premortem item",
}


class LearningStep(StepPane):
    step = Step.learning
    title = "6 · Metrics, hypotheses and premortem"
    intro = "Define what good looks like before deciding, the bets you are making, and how this could fail."

    def compose_body(self) -> ComposeResult:
        for key, (_, intro, _) in SECTIONS.items():
            yield Static(
                key.capitalize() if key != "premortem" else "Premortem", classes="section-title"
            )
            yield Static(intro, classes="guidance", markup=False)
            yield Vertical(id=f"{key}-list", classes="item-list")
            yield Button(
                ADD_LABELS[key],
                id=f"add-{key}",
                classes="add-item",
                compact=True,
                variant="primary",
            )

    def _sync(self, key: str) -> None:
        container = self.query_one(f"#{key}-list", Vertical)
        items = self.data[key]
        boxes = list(container.query(ItemBox))
        if len(boxes) == len(items):
            return
        title, _, make = SECTIONS[key]
        if len(boxes) < len(items):  # added: mount only the new boxes
            new = range(len(boxes), len(items))
        else:  # removed: every box after it names another index
            self.track(container.remove_children())
            new = range(len(items))
        self.track(container.mount_all([ItemBox(key, i, title, make(self.data)) for i in new]))
        self.call_after_refresh(self._load_list, key)

    def _load_list(self, key: str) -> None:
        if key == "hypotheses":
            self._test_options()
        for field in self.query_one(f"#{key}-list").query(Field):
            field.load(self.wizard.get(field.path))

    def load(self) -> None:  # noqa: F811 - the options first, then the values
        self._test_options()
        for key in SECTIONS:
            self._sync(key)
        super().load()

    def refresh_live(self, snapshot: Snapshot) -> None:
        self._test_options()

    def _test_options(self) -> None:
        """A hypothesis test picks from the metrics that have ids (they change as typed)."""
        for field in self.query(Field):
            if field.key != "test.metric" or not isinstance(field.control, Select):
                continue
            if not field.control.query("SelectOverlay"):
                continue  # not mounted yet: made with the options of its time
            current = self.wizard.get(field.path)
            options = test_metric_options(self.data, current)
            if options != getattr(field, "_options_shown", None):
                field._options_shown = options  # type: ignore[attr-defined]
                with field.prevent(Select.Changed):
                    field.control.set_options(options)
                field.load(current)

    # A problem of a whole limit or test (a limit without an id) shows at these fields.
    WHOLE: ClassVar[dict[str, str]] = {"id": "limit", "limit.op": "limit", "test.metric": "test"}

    def show_problems(self, snapshot: Snapshot, reveal_missing: bool) -> None:
        super().show_problems(snapshot, reveal_missing)
        for field in self.query(Field):
            scope = field.scope
            table = self.WHOLE.get(field.key)
            if table is None or scope is None or not scope.base.startswith(("metrics", "hyp")):
                continue
            whole = [p.message for p in snapshot.problems if p.path == f"{scope.base}.{table}"]
            if whole:
                mine = [p.message for p in snapshot.problems_at(field.path)]
                field.show_problem("; ".join([*mine, *whole]))

    def after_change(self, path: str, old: object) -> None:
        """A hypothesis id follows its statement, a metric id its name, until edited."""
        if path.startswith("metrics[") and path.endswith("].name"):
            self._metric_id_follows(path, old)
            return
        if not (path.startswith("hypotheses[") and path.endswith("].statement")):
            return
        index = int(path[len("hypotheses[") :].split("]")[0])
        hypothesis = self.data["hypotheses"][index]
        current = hypothesis.get("id")
        if current in (None, "", hypothesis_id(old if isinstance(old, str) else None)) or (
            isinstance(current, str)
            and current.startswith(hypothesis_id(old if isinstance(old, str) else None) + "-")
        ):
            taken = {h.get("id") for i, h in enumerate(self.data["hypotheses"]) if i != index}
            hypothesis["id"] = unique_slug(hypothesis_id(hypothesis.get("statement")), taken)
            for field in self.query(Field):
                if field.path == f"hypotheses[{index}].id":
                    field.load(hypothesis["id"])

    def _metric_id_follows(self, path: str, old: object) -> None:
        index = int(path[len("metrics[") :].split("]")[0])
        metric = self.data["metrics"][index]
        current = metric.get("id")
        before = slugify(old) if isinstance(old, str) else ""
        if current not in (None, "", before) and not (
            before and isinstance(current, str) and current.startswith(before + "-")
        ):
            return
        taken = {m.get("id") for i, m in enumerate(self.data["metrics"]) if i != index}
        taken.add(OBSERVED_POPULATION)
        name = metric.get("name")
        new = unique_slug(slugify(name), taken) if isinstance(name, str) and slugify(name) else None
        if new is None:
            metric.pop("id", None)
        else:
            metric["id"] = new
        self.reload(f"metrics[{index}].id")

    @on(Button.Pressed, ".add-item")
    def _add(self, event: Button.Pressed) -> None:
        event.stop()
        assert event.button.id
        self.add_item(event.button.id.removeprefix("add-"))

    @on(Button.Pressed, ".remove-item")
    def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        for node in event.button.ancestors:
            if isinstance(node, ItemBox):
                self.remove_item(node.collection, node.index)
                return

    def commands(self) -> list[Command]:
        return [
            ("Add metric", "A success or guardrail metric", lambda: self.add_item("metrics")),
            ("Add hypothesis", "A falsifiable bet", lambda: self.add_item("hypotheses")),
            ("Add premortem item", "How it could fail", lambda: self.add_item("premortem")),
        ]

    def add_item(self, key: str) -> None:
        items = self.data[key]
        if key == "metrics":
            items.append({"decided_on": self.wizard.today.isoformat()})
        elif key == "hypotheses":
            items.append({"status": "open"})
        else:
            items.append({})
        index = len(items) - 1

        def focus_new() -> None:
            boxes = list(self.query_one(f"#{key}-list").query(ItemBox))
            if len(boxes) > index:
                field = boxes[index].query(Field).first()
                field.focus_control()
                boxes[index].scroll_visible()

        self.wizard.structure_changed(then=focus_new)

    def remove_item(self, key: str, index: int) -> None:
        """Remove an item; one that holds anything typed is removed once confirmed
        (the Remove button sits in the Tab order right after the item's last field)."""
        items = self.data[key]
        if index >= len(items):
            return
        item = items[index]

        def remove(yes: bool | None = True) -> None:
            if not yes or index >= len(items) or items[index] is not item:
                return
            items.pop(index)
            self.wizard.structure_changed(then=self.query_one(f"#add-{key}").focus)

        if not typed(key, item, self.wizard.today):
            remove()
            return
        title = SECTIONS[key][0].lower()
        name = item.get("name") or item.get("statement") or item.get("failure") or ""
        named = f" {name[:60]!r}" if name else ""
        self.app.push_screen(
            ConfirmScreen(f"Remove {title} {index + 1}{named}?", yes="Remove"), remove
        )

    def focus_path(self, path: str) -> bool:
        if super().focus_path(path):
            return True
        for key in SECTIONS:
            if path.startswith(key):
                button = self.query_one(f"#add-{key}")
                button.focus()
                self.call_after_refresh(button.scroll_visible)
                return True
        return False
