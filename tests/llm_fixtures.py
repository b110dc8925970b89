"""A small meeting, notes for it and scripted model replies, shared by the LLM tests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from types import SimpleNamespace

from llm_server import Reply, Request

from notes_app.domain import Segment, Transcript

NOTES = "# Pricing\n- annual discount\n\n- launch timing\n"

SEGMENTS = (
    Segment(0, 0.0, 5.0, "Let's talk pricing for the annual plan.", "me", 0),
    Segment(1, 5.0, 10.0, "We can offer a 15 percent discount if they sign this quarter.", "them"),
    Segment(2, 10.0, 15.0, "Priya will send the revised quote by Friday.", "them", 1),
    Segment(3, 15.0, 20.0, "And the launch is planned for March 3rd.", "me", 0),
    Segment(4, 20.0, 25.0, "Yes, March 3rd, assuming QA signs off.", "them", 1),
)
TRANSCRIPT = Transcript(SEGMENTS)

# What the model is asked to write for NOTES (the offline enhancer's evidence, in order): the
# "annual discount" note, the "launch timing" note, the action item.
GOOD_LINES = [
    "Them offered a 15 percent discount on the annual plan if they sign this quarter.",
    "Launch planned for March 3rd.",
    "Priya: send the revised quote (due: Friday)",
]

_NOTE_HEAD = re.compile(r"^Note (\d+)(?: \(([^)]*)\))?: (.*)$", re.M)


def notes_in(request: Request) -> list[tuple[int, str, list[str]]]:
    """The notes a request asks about: (number, the note, its transcript lines)."""
    prompt = request.messages[-1]["content"]
    heads = list(_NOTE_HEAD.finditer(prompt))
    out = []
    for k, m in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(prompt)
        body = prompt[m.end() : end]
        evidence = [ln[2:] for ln in body.splitlines() if ln.startswith("- ")]
        out.append((int(m.group(1)), m.group(3), evidence))
    return out


def items_reply(contexts: list[str | None], **kw) -> Reply:
    items = [{"note": n, "context": c} for n, c in enumerate(contexts, start=1)]
    return Reply.json({"items": items}, **kw)


def quoting_responder(
    rewrite: Callable[[str, list[str]], str | None] | None = None,
) -> Callable[[Request], Reply]:
    """Answer every note with its first transcript line (or ``rewrite(note, evidence)``)."""

    def respond(request: Request) -> Reply:
        contexts = []
        for _number, note, evidence in notes_in(request):
            if rewrite is not None:
                contexts.append(rewrite(note, evidence))
            else:
                contexts.append(evidence[0].split(": ", 1)[-1] if evidence else None)
        return Reply.text(json.dumps({"items": [
            {"note": n, "context": c} for n, c in enumerate(contexts, start=1)
        ]}), chunk_size=9)  # fmt: skip

    return respond


def llm_settings(base_url: str, **overrides) -> SimpleNamespace:
    """The fields of config.LLMSettings the enhancer reads."""
    values = dict(
        base_url=base_url,
        model="test-model",
        api_key="sk-test-SECRET-1234",
        timeout=5.0,
        context_tokens=8192,
        max_retries=2,
    )
    values.update(overrides)
    return SimpleNamespace(**values)
