"""Note templates: the sections and emphasis an enhancement aims for.

Built-in templates ship in ``notes_app.resources/templates``; the user's own are Markdown files
of the same shape in the data folder's ``templates/`` (a file there with a built-in's name
replaces it). A template file looks like this::

    # Customer call
    One line saying when to use it.

    ## Sections
    - Needs
    - Next steps

    ## Emphasis
    Free text telling the model what matters most.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from notes_app.errors import ConfigError

DEFAULT_TEMPLATE = "general"

# Other names people use for the built-ins.
ALIASES = {
    "1:1": "one-on-one",
    "1on1": "one-on-one",
    "one-to-one": "one-on-one",
    "stand-up": "standup",
    "customer-call": "sales-call",
    "customer": "sales-call",
    "sales": "sales-call",
    "sync": "project-sync",
}


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    sections: tuple[str, ...]
    emphasis: str
    builtin: bool = True


def parse_template(name: str, text: str, *, builtin: bool) -> Template:
    """Read a template file; anything outside the known headings is part of the description."""
    title = name
    description: list[str] = []
    sections: list[str] = []
    emphasis: list[str] = []
    part = "description"
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# ") and title == name and part == "description":
            title = stripped[2:].strip()
        elif stripped.lower().startswith("## section"):
            part = "sections"
        elif stripped.lower().startswith("## emphasis"):
            part = "emphasis"
        elif part == "sections" and stripped[:1] in ("-", "*"):
            sections.append(stripped[1:].strip())
        elif part == "emphasis":
            emphasis.append(stripped)
        elif part == "description" and stripped:
            description.append(stripped)
    return Template(
        name=name,
        title=title,
        description=" ".join(description),
        sections=tuple(s for s in sections if s),
        emphasis=" ".join(x for x in emphasis if x),
        builtin=builtin,
    )


def _builtin_files() -> dict[str, str]:
    folder = resources.files("notes_app.resources") / "templates"
    return {
        entry.name[:-3]: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".md")
    }


def _user_files(templates_dir: Path | None) -> dict[str, str]:
    if templates_dir is None or not templates_dir.is_dir():
        return {}
    out = {}
    for path in sorted(templates_dir.glob("*.md")):
        try:
            out[path.stem] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(
                f"Cannot read the template {path} ({e}). Fix or remove the file."
            ) from None
    return out


def list_templates(templates_dir: Path | None = None) -> list[Template]:
    """Every template, built-in and the user's, by name; the user's win on a name clash."""
    found = {n: parse_template(n, t, builtin=True) for n, t in _builtin_files().items()}
    for n, t in _user_files(templates_dir).items():
        found[n] = parse_template(n, t, builtin=False)
    return [found[n] for n in sorted(found)]


def load_template(name: str | None, templates_dir: Path | None = None) -> Template:
    """The template called ``name`` (or an alias of it); ConfigError lists the choices."""
    wanted = (name or DEFAULT_TEMPLATE).strip().lower()
    wanted = ALIASES.get(wanted, wanted)
    templates = {t.name.lower(): t for t in list_templates(templates_dir)}
    if wanted in templates:
        return templates[wanted]
    where = f" or add {templates_dir / (wanted + '.md')}" if templates_dir else ""
    raise ConfigError(
        f"No template called {name!r}. Choose one of: {', '.join(sorted(templates))}{where}. "
        "`notes-app templates` lists them."
    )
