"""Data files the app reads at run time (sample meeting, templates, icons).

Installed as the package ``notes_app.resources``; read with ``importlib.resources``.
"""
