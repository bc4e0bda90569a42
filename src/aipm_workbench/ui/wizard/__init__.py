"""The guided assessment: its state, fields, steps and dialogs."""
