"""The command line: ``aipm-workbench [--db PATH] COMMAND``.

Each command lives in its own module and registers itself on :data:`main`; the
group imports a command's module when the command is first used
(``main.COMMAND_MODULES``), so starting one loads no other's code.
"""

from .main import main

__all__ = ["main"]
