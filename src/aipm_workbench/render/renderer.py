"""Jinja environments and the :class:`Renderer` (the only module that imports jinja2).

Built-in templates (``templates/`` at the repository root, installed inside the
package) are compiled once per process. A user template (``--template FILE``)
is compiled when the :class:`Renderer` is made, in a sandbox with strict
undefined variables, so a syntax error is reported before anything is written.
Every template error, undefined variable or sandbox violation becomes a
:class:`TemplateProblem` naming the template file and line.
"""

from __future__ import annotations

import contextlib
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from ..domain.formatting import is_safe, safe_text, verdict_label
from . import markdown, sandbox

RECORD_TEMPLATE = "decision_record.md.j2"
PORTFOLIO_TEMPLATE = "portfolio.md.j2"
BUILTIN_PREFIX = "builtin"


class TemplateProblem(Exception):
    """A template that cannot be compiled or rendered: ``FILE:LINE: message``."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(file, line, message)
        self.file = file
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@cache
def templates_dir() -> Path:
    """The built-in templates: inside the installed package, or at the repository root."""
    from ..settings import resource_dir

    return resource_dir("templates")


def _filters() -> dict[str, Any]:
    from ..domain.formatting import count, people, people_range, plural, share

    return {
        "inline": markdown.inline,
        "oneline": markdown.oneline,
        "cell": markdown.cell,
        "text": markdown.text,
        "yaml": markdown.yaml,
        "join_names": markdown.join_names,
        "plural": plural,
        "people": people,
        "people_range": people_range,
        "count": count,
        "share": share,
        "verdict_label": verdict_label,
    }


def _configure(env) -> None:
    env.filters.update(_filters())


def _finalize(value: Any) -> Any:
    """Every printed value: control and bidi characters shown visibly, even when a
    user template prints user text without a filter."""
    if isinstance(value, str) and not is_safe(value, newlines=True):
        return safe_text(value, newlines=True)
    return value


def _options(user: bool = False) -> dict:
    """Environment options; a user template's printed values also go through
    :func:`_finalize` (the built-in templates print user text only through filters)."""
    import jinja2

    return {
        **({"finalize": _finalize} if user else {}),
        "autoescape": False,  # Markdown, not HTML: the filters escape user text
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
        "auto_reload": False,
    }


def _dict_first(base):
    """An environment class where ``x.key`` on a dict is its item first.

    Context variables are plain dicts: their keys are found directly (instead of
    through Jinja's failed-attribute fallback, on every access), and a key is
    never shadowed by a dict method such as ``items``. Dict items are data, so
    this grants a sandboxed template nothing that ``x["key"]`` does not.
    """

    class DictFirst(base):
        def getattr(self, obj, attribute):
            if type(obj) is dict:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    DictFirst.__name__ = f"DictFirst{base.__name__}"
    return DictFirst


@cache
def _builtin_env():
    import jinja2

    env = _dict_first(jinja2.Environment)(
        loader=jinja2.FileSystemLoader(str(templates_dir()), encoding="utf-8"), **_options()
    )
    _configure(env)
    return env


@cache
def _builtin(name: str):
    """A built-in template, compiled once per process."""
    return _compile(_builtin_env(), name, str(templates_dir() / name))


def _compile(env, name: str, shown: str):
    import jinja2

    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        file = _shown_file(exc.filename, shown, name) if exc.filename else shown
        raise TemplateProblem(file, exc.lineno, f"template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        missing = exc.name or name
        if missing == name:
            raise TemplateProblem(shown, None, "no such template file") from None
        raise TemplateProblem(shown, None, f"includes {missing!r}, which does not exist") from None
    except UnicodeDecodeError:
        raise TemplateProblem(shown, None, "not a UTF-8 text file") from None
    except OSError as exc:
        raise TemplateProblem(shown, None, f"cannot read: {exc.strerror or exc}") from None


def _shown_file(filename: str | None, shown: str, name: str) -> str:
    """The user's spelling of their template's path, other templates as they are."""
    if filename is None:
        return shown
    try:
        if Path(filename).resolve() == Path(shown).resolve():
            return shown
    except OSError:
        pass
    return filename


def _location(exc: BaseException, shown: str, name: str) -> tuple[str, int | None]:
    """The template file and line a render error happened on.

    Jinja rewrites the traceback of a render error so that template frames carry
    the template's file name and line; the innermost such frame is the one.
    """
    file, line = shown, None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename and not filename.endswith(".py") and not filename.startswith("<frozen"):
            file, line = _shown_file(filename, shown, name), tb.tb_lineno
        tb = tb.tb_next
    return file, line


def _message(exc: BaseException) -> str:
    import jinja2
    from jinja2.sandbox import SecurityError

    if isinstance(exc, SecurityError):
        return f"not allowed in a user template (sandbox): {exc}"
    if isinstance(exc, sandbox.OutsideFolder):
        return str(exc)
    if isinstance(exc, RenderTooLarge):
        return (
            f"the rendered document is over {sandbox.MAX_BYTES // (1024 * 1024)} MB, "
            "the most a record or report may be"
        )
    if isinstance(exc, RenderTimeout):
        return (
            f"rendering took longer than {sandbox.MAX_SECONDS:g} s, the most a template "
            "may take, and was stopped"
        )
    if isinstance(exc, jinja2.UndefinedError):
        return (
            f"undefined variable: {exc}; docs/templates.md lists the variables a template receives"
        )
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"includes {exc.name!r}, which does not exist"
    if isinstance(exc, jinja2.TemplateError):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "the template recurses without end"
    return f"{type(exc).__name__}: {exc}"


_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)


def _tidy(out: str) -> str:
    """Built-in output: no trailing spaces, no runs of blank lines, one final newline."""
    if " \n" in out or "\t\n" in out:
        out = _TRAILING_SPACE.sub("", out)
    while "\n\n\n" in out:
        out = out.replace("\n\n\n", "\n\n")
    return out.strip("\n").rstrip(" \t") + "\n"


class RenderTooLarge(Exception):
    """The document grew past :data:`.sandbox.MAX_BYTES`."""


class RenderTimeout(Exception):
    """A user template ran past :data:`.sandbox.MAX_SECONDS` (raised inside it)."""


class _Deadline:
    """Raises :class:`RenderTimeout` in this thread, wherever it is, after ``seconds``.

    A pure-Python loop cannot be interrupted otherwise from another thread (and
    signals reach only the main thread, while the app renders in workers). The
    lock makes sure the exception is never raised once the render has ended.
    """

    def __init__(self, seconds: float) -> None:
        import threading

        self._thread = threading.get_ident()
        self._lock = threading.Lock()
        self._active = True
        self._fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _set(self, exc) -> None:
        import ctypes

        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(self._thread), ctypes.py_object(exc) if exc else None
        )

    def _fire(self) -> None:
        with self._lock:
            if self._active:
                self._fired = True
                self._set(RenderTimeout)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        with self._lock:
            self._active = False
            if self._fired:  # clear it if it is still pending
                self._set(None)
        if self._fired and exc_info[0] is None:
            raise RenderTimeout


def _generate(template, context: dict, seconds: float | None) -> str:
    """Render piece by piece, stopping a document over :data:`.sandbox.MAX_BYTES` inside
    the template (so the problem names its line), and a user template after ``seconds``."""
    parts: list[str] = []
    size = 0
    chunks = template.generate(context)
    guard = _Deadline(seconds) if seconds else contextlib.nullcontext()
    with guard:
        for chunk in chunks:
            size += len(chunk) if chunk.isascii() else len(chunk.encode("utf-8", "replace"))
            if size > sandbox.MAX_BYTES:
                chunks.throw(RenderTooLarge())
            parts.append(chunk)
    return "".join(parts)


class Renderer:
    """Renders decision records and the portfolio report.

    ``template=None`` uses the built-in templates; a path renders that file for
    whichever document is asked for, in a sandbox with strict undefined
    variables. A user template can ``{% extends "builtin/decision_record.md.j2" %}``
    and override its blocks, or ``{% include %}`` files beside it.
    """

    def __init__(self, template: str | os.PathLike | None = None) -> None:
        self.template_path = Path(template) if template is not None else None
        self._user = None
        if self.template_path is not None:
            self._user = self._compile_user(self.template_path)

    @staticmethod
    def _compile_user(path: Path):
        import jinja2
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        shown = str(path)
        if not path.is_file():
            what = "is a folder, not a template file" if path.is_dir() else "no such template file"
            raise TemplateProblem(shown, None, what)
        loader = jinja2.ChoiceLoader(
            [
                jinja2.PrefixLoader(
                    {BUILTIN_PREFIX: jinja2.FileSystemLoader(str(templates_dir()), "utf-8")}
                ),
                sandbox.folder_loader(path.absolute().parent, path.name),
            ]
        )
        env_class = sandbox.sandbox_class(_dict_first(ImmutableSandboxedEnvironment))
        env = env_class(loader=loader, **_options(user=True))
        _configure(env)
        try:
            return _compile(env, path.name, shown)
        except sandbox.OutsideFolder as exc:  # an {% extends %} resolved while compiling
            raise TemplateProblem(shown, None, str(exc)) from None

    @property
    def is_user_template(self) -> bool:
        return self._user is not None

    def _render(self, builtin_name: str, context: dict) -> str:
        template = self._user if self._user is not None else _builtin(builtin_name)
        try:
            if self._user is not None:
                out = _generate(template, context, sandbox.MAX_SECONDS)
            else:  # trusted and bounded by its data: checked once rendered
                out = template.render(context)
                if len(out) > sandbox.MAX_BYTES // 4 and len(out.encode()) > sandbox.MAX_BYTES:
                    raise RenderTooLarge
        except Exception as exc:  # any error inside a template is the template's problem
            if self._user is not None:
                shown = str(self.template_path)
            else:
                shown = str(templates_dir() / builtin_name)
            file, line = _location(exc, shown, builtin_name)
            raise TemplateProblem(file, line, _message(exc)) from None
        return out if self._user is not None else _tidy(out)

    def decision_record(self, context: dict) -> str:
        """One decision record (Markdown) from :func:`.context.record_context`."""
        return self._render(RECORD_TEMPLATE, context)

    def portfolio(self, context: dict) -> str:
        """The portfolio report (Markdown) from :func:`.context.portfolio_context`."""
        return self._render(PORTFOLIO_TEMPLATE, context)
