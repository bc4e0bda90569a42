"""Markdown documents from Jinja templates: decision records and the portfolio report.

The only package that imports jinja2, and only when a template is compiled.
``record_context`` and ``portfolio_context`` build the variables a template
receives (``docs/templates.md``); the filters of :mod:`.markdown` print user
text as literal Markdown.
"""

from .context import portfolio_context, record_context, record_id
from .renderer import Renderer, TemplateProblem, templates_dir

__all__ = [
    "Renderer",
    "TemplateProblem",
    "portfolio_context",
    "record_context",
    "record_id",
    "templates_dir",
]
