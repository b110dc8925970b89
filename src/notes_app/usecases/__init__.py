"""Pieces of the use-case layer (``notes_app.app.App``) that are plain functions."""
