"""notes-app: a local-first AI meeting notepad."""

__version__ = "0.1.0"
