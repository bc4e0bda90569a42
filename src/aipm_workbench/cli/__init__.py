"""The command line: ``aipm-workbench [--db PATH] COMMAND``.

Each command lives in its own module and registers itself on :data:`main`.
"""

from . import app as _app  # noqa: F401,E402
from . import check as _check  # noqa: F401,E402  (registers commands)
from . import drill as _drill  # noqa: F401,E402
from . import export as _export  # noqa: F401,E402
from . import incidents as _incidents  # noqa: F401,E402
from . import living as _living  # noqa: F401,E402
from . import portfolio as _portfolio  # noqa: F401,E402
from . import workspace as _workspace  # noqa: F401,E402
from .main import main

__all__ = ["main"]
