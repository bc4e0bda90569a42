"""The workbench database: the only package that imports duckdb (lazily, inside calls).

See docs/ARCHITECTURE.md, "Storage contract".
"""

from .errors import DatabaseDamaged, DatabaseLocked, DatabaseTooNew, StoreError
from .schema import SCHEMA_VERSION
from .store import Store
from .types import Draft, ImportReport, PortfolioRow, RevisionInfo, StoredRevision

__all__ = [
    "SCHEMA_VERSION",
    "DatabaseDamaged",
    "DatabaseLocked",
    "DatabaseTooNew",
    "Draft",
    "ImportReport",
    "PortfolioRow",
    "RevisionInfo",
    "Store",
    "StoreError",
    "StoredRevision",
]
