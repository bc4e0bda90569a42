"""Browse a harm taxonomy by family: types with label, description, guiding
questions, example and MIT AI Risk Repository cause code; pick one."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static, Tree

from ...domain import HarmType, Taxonomy
from ...domain.casebook import builtin_casebook
from ...domain.taxonomy import Family

Node = tuple[str, str]  # ("family" | "type", id)


class TaxonomyTree(Tree[Node]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "expand_here", "Expand", show=False),
        Binding("left", "collapse_here", "Collapse", show=False),
        Binding("c", "cases", "Cases", id="taxonomy.cases"),
    ]

    def action_cases(self) -> None:
        """Open the casebook's cases of the highlighted type."""
        from .precedents import CasesScreen

        node = self.cursor_node
        if node is None or not node.data or node.data[0] != "type":
            self.notify("Highlight a harm type to read its cases.", timeout=3)
            return
        if not builtin_casebook().of_type(node.data[1]):
            self.notify("The casebook has no case of this type yet.", timeout=3)
            return
        self.app.push_screen(CasesScreen(node.data[1]))

    def action_expand_here(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            node.expand()

    def action_collapse_here(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)


class TaxonomyBrowser(Vertical):
    """A filter, the families and their types, and the highlighted entry in full.

    Enter on a type posts :class:`TaxonomyBrowser.Picked`.
    """

    DEFAULT_CSS = """
    TaxonomyBrowser {
        height: 1fr;
        & > #taxonomy-filter { margin-bottom: 1; }
        & > Horizontal { height: 1fr; }
        & TaxonomyTree { width: 2fr; min-width: 28; height: 1fr; background: $surface; }
        & #taxonomy-detail { width: 3fr; height: 1fr; padding: 0 1; }
    }
    """

    class Picked(Message):
        def __init__(self, harm_type: HarmType) -> None:
            super().__init__()
            self.harm_type = harm_type

    def __init__(
        self, taxonomy: Taxonomy, current: str | None = None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.taxonomy = taxonomy
        self.current = current

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Type to filter harm types", id="taxonomy-filter", compact=True)
        with Horizontal():
            tree = TaxonomyTree(self.taxonomy.name, id="taxonomy-tree")
            tree.show_root = False
            tree.guide_depth = 2
            yield tree
            with VerticalScroll(id="taxonomy-detail"):
                yield Static(id="taxonomy-text")

    def on_mount(self) -> None:
        self._fill("")
        tree = self.query_one(TaxonomyTree)
        target = None
        if self.current:
            target = self._find(("type", self.current))
        if target is None and tree.root.children:
            target = tree.root.children[0]
        if target is not None:
            if target.parent is not None:
                target.parent.expand()
            self.call_after_refresh(tree.move_cursor, target)
        tree.focus()

    def _find(self, data: Node):
        tree = self.query_one(TaxonomyTree)
        for family in tree.root.children:
            if family.data == data:
                return family
            for child in family.children:
                if child.data == data:
                    return child
        return None

    def _matches(self, t: HarmType, query: str) -> bool:
        hay = " ".join([t.id, t.label, t.description, t.example, *t.questions]).lower()
        return all(word in hay for word in query.lower().split())

    def _fill(self, query: str) -> None:
        tree = self.query_one(TaxonomyTree)
        tree.clear()
        for family in self.taxonomy.families:
            types = [t for t in self.taxonomy.types_in(family.id) if self._matches(t, query)]
            if not types:
                continue
            node = tree.root.add(f"{family.label}", data=("family", family.id))
            counts = builtin_casebook().counts_by_type()
            for t in types:
                label = Text(t.label)
                if counts.get(t.id):
                    label.append(f"  {counts[t.id]}", "dim")
                node.add_leaf(label, data=("type", t.id))
            if query:
                node.expand()

    @on(Input.Changed, "#taxonomy-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)
        self._show(None)

    @on(Input.Submitted, "#taxonomy-filter")
    def _to_tree(self, event: Input.Submitted) -> None:
        event.stop()
        tree = self.query_one(TaxonomyTree)
        for family in tree.root.children:
            if family.children:
                family.expand()
                tree.move_cursor(family.children[0])
                break
        tree.focus()

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        self._show(event.node.data)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        data = event.node.data
        if data and data[0] == "type":
            harm_type = self.taxonomy.get(data[1])
            if harm_type is not None:
                self.post_message(self.Picked(harm_type))

    def _show(self, data: Node | None) -> None:
        out = Text()
        if data is None:
            out.append("Move through the families and types; Enter picks a type.", "italic")
        elif data[0] == "family":
            family = self.taxonomy.family(data[1])
            if family is not None:
                self._family_text(out, family)
        else:
            harm_type = self.taxonomy.get(data[1])
            if harm_type is not None:
                self._type_text(out, harm_type)
        self.query_one("#taxonomy-text", Static).update(out)

    def _family_text(self, out: Text, family: Family) -> None:
        out.append(family.label, "bold")
        out.append(f"  ({family.id})\n\n", "dim")
        out.append(family.description + "\n\n")
        out.append("Types:\n", "bold")
        for t in self.taxonomy.types_in(family.id):
            out.append(f"  {t.label}", "")
            out.append(f"  {t.id}\n", "dim")
        out.append("\nEnter or right arrow opens the family.", "italic")

    @staticmethod
    def _type_text(out: Text, t: HarmType) -> None:
        out.append(t.label, "bold")
        out.append(f"  {t.id}", "dim")
        if t.mit_cause:
            out.append(f"  MIT AI Risk Repository {t.mit_cause}", "dim")
        cases = builtin_casebook().of_type(t.id)
        n = len(cases)
        out.append("\n")
        if n:
            out.append(f"{n} case{'s' if n != 1 else ''} in the casebook: c reads them", "italic")
        else:
            out.append("No case of this type in the casebook yet", "dim")
        out.append("\n\n" + t.description + "\n\n")
        out.append("Guiding questions\n", "bold")
        for q in t.questions:
            out.append(f" • {q}\n")
        if t.example:
            out.append("\nExample\n", "bold")
            out.append(t.example + "\n")
        if cases:
            out.append("\nPrecedents\n", "bold")
            for case in cases[:3]:
                out.append(f" • {case.title} ({case.year})\n")
            if len(cases) > 3:
                out.append(f" and {len(cases) - 3} more\n")
        out.append("\nEnter picks this type" + ("; c reads its cases." if cases else "."), "italic")
