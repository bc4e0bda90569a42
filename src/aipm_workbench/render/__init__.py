"""Markdown documents from Jinja templates: decision records and the portfolio report.

The only package that imports jinja2, and only when a template is compiled.
``record_context`` and ``portfolio_context`` build the variables a template
receives (``docs/templates.md``); the filters of :mod:`.markdown` print user
text as literal Markdown. :mod:`.cells` and :mod:`.words` serve the command
line too.

Names are loaded on first use (PEP 562), so that the command line can use
:mod:`.cells` or :mod:`.words` without loading the domain's models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "Renderer": "renderer",
    "TemplateProblem": "renderer",
    "templates_dir": "renderer",
    "portfolio_context": "context",
    "record_context": "context",
    "record_id": "context",
}

__all__ = [
    "Renderer",
    "TemplateProblem",
    "portfolio_context",
    "record_context",
    "record_id",
    "templates_dir",
]

if TYPE_CHECKING:
    from .context import portfolio_context, record_context, record_id
    from .renderer import Renderer, TemplateProblem, templates_dir


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
