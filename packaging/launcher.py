"""The bundle's entry point (PyInstaller runs a script): the same as the `notes-app` command."""

import multiprocessing

from notes_app.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen program re-runs itself for child processes
    main()
