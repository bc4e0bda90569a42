"""Parse exported Markdown the way a CommonMark + GitHub-tables reader does, and check it.

Used by the render and export tests: every table row must have the header's
number of cells (counted on the source line, as the table parser splits it), the
front matter must be YAML, and user text must not have turned into markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from markdown_it import MarkdownIt
from markdown_it.rules_block.table import escapedSplit
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

MD = MarkdownIt("commonmark", {"html": True}).enable("table").use(front_matter_plugin)


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # cell texts, as rendered


@dataclass
class Parsed:
    source: str
    tokens: list[Token]
    front_matter: dict | None
    tables: list[Table] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def html(self) -> str:
        return MD.renderer.render(self.tokens, MD.options, {})

    def table_after(self, heading: str) -> Table:
        """The table in the section under the heading with this text."""
        current = None
        index = 0
        for i, tok in enumerate(self.tokens):
            if tok.type == "heading_open":
                current = inline_text(self.tokens[i + 1])
            elif tok.type == "table_open":
                if current == heading:
                    return self.tables[index]
                index += 1
        raise AssertionError(f"no table under the heading {heading!r}")


def inline_text(tok: Token) -> str:
    """The text a reader sees in an inline token: line breaks as newlines."""
    out = []
    for child in tok.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "html_inline":
            assert child.content.lower() in ("<br>", "<br/>", "<br />"), (
                f"raw HTML in the output: {child.content!r}"
            )
            out.append("\n")
    return "".join(out)


def _cells(line: str) -> list[str]:
    cols = escapedSplit(line.strip())
    if cols and cols[0].strip() == "":
        cols.pop(0)
    if cols and cols[-1].strip() == "":
        cols.pop()
    return cols


def parse(text: str) -> Parsed:
    tokens = MD.parse(text)
    front = None
    if tokens and tokens[0].type == "front_matter":
        front = yaml.safe_load(tokens[0].content)
        assert isinstance(front, dict), "front matter is not a YAML mapping"
    parsed = Parsed(text, tokens, front)
    lines = text.split("\n")
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            parsed.headings.append((int(tok.tag[1]), inline_text(tokens[i + 1])))
        if tok.type == "table_open":
            start, end = tok.map
            source_rows = lines[start:end]
            width = len(_cells(source_rows[0]))
            for n, row in enumerate(source_rows):
                if n == 1:
                    continue  # the delimiter row
                got = len(_cells(row))
                assert got == width, (
                    f"table at line {start + 1}: row {n} has {got} cells, the header {width}: {row!r}"
                )
            header: list[str] = []
            rows: list[list[str]] = []
            j = i
            current: list[str] | None = None
            while tokens[j].type != "table_close":
                t = tokens[j]
                if t.type == "tr_open":
                    current = []
                elif t.type == "tr_close":
                    if not header:
                        header = current or []
                    else:
                        rows.append(current or [])
                elif t.type == "inline" and current is not None:
                    current.append(inline_text(t))
                j += 1
            assert len(rows) == len(source_rows) - 2, "a table row was not parsed as a row"
            parsed.tables.append(Table(header, rows))
        i += 1
    return parsed


def assert_no_markup_from_text(parsed: Parsed) -> None:
    """Nothing a template does not write itself: no raw HTML but <br>, no links but
    to the record's own sections, no images, code blocks or thematic breaks."""
    for tok in parsed.tokens:
        assert tok.type not in ("html_block", "fence", "code_block", "hr"), (
            f"{tok.type} at line {tok.map[0] + 1 if tok.map else '?'}: {tok.content[:80]!r}"
        )
        for child in tok.children or []:
            assert child.type != "image", f"image: {child.content!r}"
            if child.type == "link_open":  # the template's own links go to its sections
                assert str(child.attrs.get("href", "")).startswith("#"), child.attrs
            if child.type == "html_inline":
                assert child.content.lower() in ("<br>", "<br/>", "<br />"), child.content
