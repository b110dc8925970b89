"""`notes-app mcp`: the MCP server, driven by the official SDK's own client over stdio.

Each test starts `python -m notes_app mcp` as a real subprocess (NOTES_APP_HOME pointing at a
store holding real meetings, enhanced by the real offline enhancer) and talks to it with
``mcp.ClientSession`` through ``mcp.stdio_client``, as an agent's MCP client would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from notes_app.domain import Segment

mcp = pytest.importorskip("mcp")

TALK = [
    ("me", "Morning everyone, let's get started with the Acme renewal"),
    ("them", "Acme wants a discount before they sign the renewal"),
    ("them", "We promised Acme pricing by Friday, ten percent at most"),
    ("me", "Sarah will send the pricing proposal on Thursday"),
    ("them", "And the support team gets two engineers in June"),
]


def _segments(talk: list[tuple[str, str]]) -> list[Segment]:
    return [Segment(i, i * 15.0, i * 15.0 + 12.0, t, who) for i, (who, t) in enumerate(talk)]


@pytest.fixture
def store(app):
    """Two real meetings: Acme (enhanced offline, attendees Sarah and Tom) and an older design
    review with Priya that was never enhanced."""
    repo = app.repo
    acme = repo.create_meeting(
        "Acme renewal",
        started_at="2025-03-04T10:00:00+00:00",
        duration=75.0,
        attendees=["Sarah Chen", "Tom"],
        notes="Acme discount\npricing → Sarah",
        segments=_segments(TALK),
    )
    app.enhance_meeting(acme, mode="offline")
    app.move_meeting(acme, "Clients/Acme")
    app.tag_meeting(acme, ["renewal"])
    design = repo.create_meeting(
        "Design review",
        started_at="2025-02-01T09:00:00+00:00",
        attendees=["Priya"],
        notes="logo contrast",
        segments=_segments([("them", "The logo needs more contrast on dark backgrounds")]),
    )
    app.close()  # the server opens the database itself
    return {"acme": acme, "design": design, "home": app.settings.home}


def run_client(home, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """``work(session)`` against `python -m notes_app mcp` serving the store in ``home``."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "notes_app", "mcp"],
        env={"NOTES_APP_HOME": str(home), "NOTES_APP_NO_KEYRING": "1"},
    )

    async def main() -> Any:
        with anyio.fail_after(120):
            async with stdio_client(params) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await work(session)

    return anyio.run(main)


def data(result) -> Any:
    """A tool result's JSON (the text content the server sends with its structured content)."""
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def test_tools_are_listed_read_only_and_list_meetings_filters(store):
    async def work(session):
        tools = (await session.list_tools()).tools
        everything = data(await session.call_tool("list_meetings", {}))
        since = data(await session.call_tool("list_meetings", {"since": "2025-03-01"}))
        sarah = data(await session.call_tool("list_meetings", {"attendee": "sarah"}))
        priya = data(await session.call_tool("list_meetings", {"attendee": "PRIYA"}))
        nobody = data(await session.call_tool("list_meetings", {"attendee": "Zed"}))
        clients = data(await session.call_tool("list_meetings", {"folder": "clients"}))
        loose = data(await session.call_tool("list_meetings", {"folder": "/"}))
        return tools, everything, since, sarah, priya, nobody, clients, loose

    result = run_client(store["home"], work)
    tools, everything, since, sarah, priya, nobody, clients, loose = result
    assert {t.name for t in tools} == {"list_meetings", "get_meeting", "search", "ask"}
    assert all(t.annotations.read_only_hint for t in tools)
    schema = next(t for t in tools if t.name == "list_meetings").input_schema
    assert {"since", "folder", "attendee"} <= set(schema["properties"])

    ids = [m["id"] for m in everything["meetings"]]
    assert ids == [store["acme"], store["design"]]  # newest first
    first = everything["meetings"][0]
    assert first["title"] == "Acme renewal"
    assert first["attendees"] == ["Sarah Chen", "Tom"]
    assert first["uri"] == f"notes://meeting/{store['acme']}"
    assert (first["folder"], first["tags"]) == ("Clients/Acme", ["renewal"])
    assert [m["id"] for m in since["meetings"]] == [store["acme"]]
    assert [m["id"] for m in sarah["meetings"]] == [store["acme"]]
    assert [m["id"] for m in priya["meetings"]] == [store["design"]]
    assert nobody["meetings"] == []
    assert [m["id"] for m in clients["meetings"]] == [store["acme"]]
    assert [m["id"] for m in loose["meetings"]] == [store["design"]]  # in no folder


def test_get_meeting_gives_notes_enhanced_notes_with_citations_and_transcript(store):
    acme = store["acme"]

    async def work(session):
        full = data(
            await session.call_tool("get_meeting", {"meeting_id": acme, "transcript": True})
        )
        bare = data(
            await session.call_tool(
                "get_meeting", {"meeting_id": acme, "notes": False, "enhanced": False}
            )
        )
        plain = data(await session.call_tool("get_meeting", {"meeting_id": store["design"]}))
        return full, bare, plain

    full, bare, plain = run_client(store["home"], work)
    assert full["notes"] == "Acme discount\npricing → Sarah"  # exactly as typed
    blocks = full["enhanced"]["blocks"]
    user = [b["text"] for b in blocks if b["source"] == "user"]
    assert user == ["Acme discount", "pricing → Sarah"]
    cited = [b for b in blocks if b["source"] == "ai"]
    assert cited and all(b["citations"] for b in cited)
    said = {s["segment"]: s for s in full["transcript"]}
    for b in cited:
        for c in b["citations"]:
            assert said[c["segment"]]["at"] == c["at"]  # each citation points into the transcript
    assert full["transcript"][3] == {
        "segment": 3,
        "at": "00:45",
        "start": 45.0,
        "speaker": "You",
        "text": "Sarah will send the pricing proposal on Thursday",
    }
    assert set(bare) == {"meeting"}  # each part only when asked for
    assert plain["enhanced"] is None and plain["notes"] == "logo contrast"


def test_search_and_ask_answer_with_citations(store):
    async def work(session):
        found = data(await session.call_tool("search", {"query": "discount"}))
        dated = data(
            await session.call_tool("search", {"query": "contrast", "since": "2025-03-01"})
        )
        foldered = data(await session.call_tool("search", {"query": "logo", "folder": "Clients"}))
        answer = data(
            await session.call_tool("ask", {"question": "What pricing did we promise Acme?"})
        )
        return found, dated, foldered, answer

    found, dated, foldered, answer = run_client(store["home"], work)
    hits = found["results"]
    assert hits and {h["meeting_id"] for h in hits} == {store["acme"]}
    spoken = next(h for h in hits if h["kind"] == "transcript")
    assert spoken["at"] == "00:15" and "[discount]" in spoken["snippet"]
    assert dated["results"] == []  # the design review is older than that
    assert foldered["results"] == []  # and it is in no folder
    assert answer["mode"] == "offline"  # no LLM is configured for this store
    assert "ten percent" in answer["answer"]
    (best, *_) = answer["citations"]
    assert best["meeting_id"] == store["acme"] and best["title"] == "Acme renewal"
    assert "ten percent at most" in best["text"] and best["at"] is not None


def test_each_meeting_is_a_markdown_resource(store):
    acme = store["acme"]

    async def work(session):
        listed = (await session.list_resources()).resources
        templates = (await session.list_resource_templates()).resource_templates
        text = (await session.read_resource(f"notes://meeting/{acme}")).contents[0]
        plain = (await session.read_resource(f"notes://meeting/{store['design']}")).contents[0]
        return listed, templates, text, plain

    listed, templates, text, plain = run_client(store["home"], work)
    assert [str(r.uri) for r in listed] == [
        f"notes://meeting/{acme}",
        f"notes://meeting/{store['design']}",
    ]
    assert listed[0].title == "Acme renewal" and listed[0].mime_type == "text/markdown"
    assert "Sarah Chen, Tom" in listed[0].description
    assert templates[0].uri_template == "notes://meeting/{meeting_id}"
    assert text.mime_type == "text/markdown"
    assert text.text.startswith("# Acme renewal")
    assert "*AI:" in text.text and "[00:30]" in text.text  # AI lines marked, cited as [mm:ss]
    assert "[00:45] You: Sarah will send the pricing proposal on Thursday" in text.text
    assert "## Notes (as typed, not enhanced yet)\n\nlogo contrast" in plain.text


def test_errors_come_back_as_mcp_errors_with_the_apps_sentences(store):
    from mcp import MCPError

    async def work(session):
        missing = await session.call_tool("get_meeting", {"meeting_id": 999})
        bad_since = await session.call_tool("list_meetings", {"since": "last tuesday"})
        empty = await session.call_tool("ask", {"question": "  "})
        ask_missing = await session.call_tool("ask", {"question": "pricing", "meeting_id": 999})
        errors = []
        for uri in ("notes://meeting/999", "notes://meeting/abc"):
            try:
                await session.read_resource(uri)
            except MCPError as e:
                errors.append(e)
        # the server is still there after all of that
        still = data(await session.call_tool("list_meetings", {}))
        return missing, bad_since, empty, ask_missing, errors, still

    missing, bad_since, empty, ask_missing, errors, still = run_client(store["home"], work)
    assert missing.is_error
    # the SDK says which tool failed, then the app's own sentence, whole
    assert missing.content[0].text == (
        "Error executing tool get_meeting: No meeting with id 999. Run `notes-app list` to see "
        "your meetings."
    )
    assert bad_since.is_error and "YYYY-MM-DD" in bad_since.content[0].text
    assert empty.is_error and "Give a question" in empty.content[0].text
    assert ask_missing.is_error and "No meeting with id 999" in ask_missing.content[0].text
    assert len(errors) == 2
    assert "No meeting with id 999" in errors[0].error.message
    assert "is not a meeting id" in errors[1].error.message
    assert len(still["meetings"]) == 2


def test_without_the_mcp_package_the_command_says_how_to_install_it(notes_home):
    code = (
        "import sys\n"
        "sys.modules['mcp'] = None  # as if it were not installed\n"
        "from notes_app.cli import main\n"
        "main(['mcp'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 1
    assert "pip install 'notes-app[mcp]'" in out.stderr
    assert "Traceback" not in out.stderr
