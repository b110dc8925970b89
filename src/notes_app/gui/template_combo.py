"""The template picker beside Enhance: templates by their titles, each saying what it changes.

A template shapes notes a language model writes (its sections and what it stresses); offline
enhancement keeps the user's lines and adds the transcript's context the same way whatever the
template, and the picker says so rather than seeming to do something it does not.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from notes_app.enhance.templates import DEFAULT_TEMPLATE, Template

WHAT_IT_CHANGES = (
    "The shape of notes written by a language model: its sections and what it stresses. "
    "Offline enhancement keeps your lines and adds what was said under them, the same for "
    "every template."
)
OFFLINE_NOTICE = (
    "Enhanced offline: the template shapes notes written by a language model (set one up in "
    "Settings)."
)


def describe(t: Template) -> str:
    """One template's tooltip: when to use it and the sections it asks for."""
    parts = [t.description.strip()] if t.description.strip() else []
    if t.sections:
        parts.append("Sections: " + ", ".join(t.sections) + ".")
    if not t.builtin:
        parts.append("Your own template (from the templates folder).")
    return " ".join(parts) or t.title


class TemplateCombo(QComboBox):
    """Items show a template's title; ``current_name()`` is the name the enhancer takes."""

    def __init__(self, templates: Sequence[Template | str] = (), parent=None):
        super().__init__(parent)
        self.setToolTip(WHAT_IT_CHANGES)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.set_templates(templates)

    def set_templates(self, templates: Sequence[Template | str]) -> None:
        current = self.current_name()
        self.clear()
        for t in templates:
            if isinstance(t, str):  # a bare name: no title to show but its own
                self.addItem(t, t)
                continue
            self.addItem(t.title, t.name)
            self.setItemData(self.count() - 1, describe(t), Qt.ItemDataRole.ToolTipRole)
        found = self.findData(current or DEFAULT_TEMPLATE)
        self.setCurrentIndex(max(found, 0))
        if self.count() == 0:
            self.hide()  # nothing to choose from
        elif self.isHidden() and self.parent() is not None:
            self.show()

    def current_name(self) -> str:
        """The chosen template's name ("" when none is offered)."""
        data = self.currentData()
        return str(data) if data else ""

    def select(self, name: str) -> bool:
        """Choose the template called ``name``; False if it is not offered."""
        index = self.findData(name)
        if index >= 0:
            self.setCurrentIndex(index)
        return index >= 0
