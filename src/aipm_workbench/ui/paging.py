"""How many portfolio rows one query fetches (no Textual import: the command
that opens the app asks for the first page before Textual loads)."""

PAGE_SIZE = 100
