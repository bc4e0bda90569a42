"""aipm-workbench: decide whether an AI feature ships."""

__version__ = "0.1.0"
