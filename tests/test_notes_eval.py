"""The notes benchmark's dialogues are well formed: fast, no audio, no model."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "benchmarks" / "dialogues"
FILES = sorted(FOLDER.glob("*.json"))


def _benchmark():
    spec = importlib.util.spec_from_file_location(
        "notes_eval", ROOT / "benchmarks" / "notes_eval.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("notes_eval", module)
    spec.loader.exec_module(module)
    return module


notes_eval = _benchmark()


def test_there_are_at_least_twelve_dialogues_on_different_calls():
    assert len(FILES) >= 12
    titles = {json.loads(p.read_text(encoding="utf-8"))["title"] for p in FILES}
    assert len(titles) == len(FILES)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_a_dialogue_has_two_voices_and_notes_with_expectations(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert notes_eval.problems(doc) == []
    turns = doc["turns"]
    assert 12 <= len(turns) <= 30
    assert {t["channel"] for t in turns} == {"me", "them"}
    for t in turns:
        assert (t["speaker"] == "me") == (t["channel"] == "me"), t
        assert t["text"].strip()
    remote = {t["speaker"] for t in turns} - {"me"}
    assert 1 <= len(remote) <= 2
    assert all(any(a.split()[0] == name for a in doc["attendees"]) for name in remote)
    lines = doc["notes"].splitlines()
    assert 5 <= len([ln for ln in lines if ln.strip()]) <= 12
    for note, sets in doc["expect"].items():
        assert note in lines, f"{note!r} is not a line of the notes"
        if sets is not None:
            assert sets and all(s and all(isinstance(w, str) and w for w in s) for s in sets)
    # every line but headings says what its context must hold (or that it has none)
    unscored = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    assert set(unscored) <= set(doc["expect"])


def test_the_set_holds_notes_the_call_never_covered():
    uncovered = [
        note
        for p in FILES
        for note, sets in json.loads(p.read_text(encoding="utf-8"))["expect"].items()
        if sets is None
    ]
    assert 2 <= len(uncovered) <= 6


def test_a_malformed_dialogue_is_reported_with_what_is_wrong():
    doc = json.loads(FILES[0].read_text(encoding="utf-8"))
    doc["turns"][0]["channel"] = "left"
    doc["expect"]["not typed"] = [["x"]]
    found = " ".join(notes_eval.problems(doc))
    assert "channel 'left'" in found
    assert "'not typed' is not a line of the notes" in found


@pytest.mark.parametrize(
    ("text", "word", "found"),
    [
        ("Revenue came in at $4.2 million.", "4.2", True),
        ("Revenue came in at $14.2 million.", "4.2", False),
        ("It was 1.5 percent.", "1", False),
        ("We start on the 1st of May.", "1", True),
        ("Single sign-on is included.", "single sign on", True),
        ("Churn went down to 3% a month.", "3 percent", True),
        ("About 350,000 a month.", "350000", True),
        ("The renewal is in November.", "renew", True),
        ("The length of the call.", "eng", False),
    ],
)
def test_expected_words_match_after_light_normalisation(text, word, found):
    assert notes_eval.contains(text, word) is found


def test_word_error_rate_counts_numbers_the_same_however_written():
    ref = notes_eval.wer_words("revenue came in at four point two million, up eighteen percent")
    hyp = notes_eval.wer_words("Revenue came in at $4.2 million, up 18%.")
    assert notes_eval.edit_distance(ref, hyp) == 0
    assert notes_eval.edit_distance(ref, notes_eval.wer_words("revenue came at 4.2")) == 5
