"""The store's own errors: every message is a sentence a person can act on."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot do what was asked; ``str(err)`` says why and what to do."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class DatabaseLocked(StoreError):
    """Another process kept the database file locked for longer than the lock timeout."""

    def __init__(self, message: str, holder: str | None = None):
        super().__init__(message)
        self.holder = holder  # e.g. "python3 (PID 1234)", or None when DuckDB does not say


class DatabaseDamaged(StoreError):
    """Not a DuckDB file, not a workbench database, or unreadable. The file is never modified."""


class DatabaseTooNew(StoreError):
    """Written by a newer schema (or a newer DuckDB). The file is never modified."""
