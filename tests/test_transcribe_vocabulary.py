"""The notes teach the recogniser: terms from the notes, title, attendees and glossary."""

from __future__ import annotations

import pytest
from speech import concat, say, silence, stereo

from notes_app.transcribe.vocabulary import (
    LiveVocabulary,
    approx_tokens,
    build_vocabulary,
    hotwords_text,
)

NOTES = """# Q3 review
- revenue 4.2M, up 18%
- churn down; Priya Raghunathan owns the Zorblax migration
- Launch date? ask Nguyen
- the launch docs are due Friday
Action: send the SOC2 report to OpenAI legal
"""


def test_names_acronyms_and_figures_come_first_and_stop_words_never():
    terms = build_vocabulary(notes=NOTES)
    special = {"Priya Raghunathan", "Zorblax", "Nguyen", "Friday", "OpenAI", "4.2M", "SOC2"}
    assert special | {"18%", "Q3"} <= set(terms[:9])
    assert {"churn", "migration", "revenue"} <= set(terms)
    assert not {"the", "are", "ask", "down", "up"} & {t.lower() for t in terms}
    # "Launch" opens a line and is also typed in lower case: an ordinary word, said once.
    assert [t for t in terms if t.lower() == "launch"] == ["launch"]


def test_glossary_then_attendees_then_title_lead_the_list():
    terms = build_vocabulary(
        notes=NOTES,
        title="Weekly sync with Acme",
        attendees=["Dana Whitfield"],
        glossary="Kubernetes; Grafana",
    )
    assert terms[:4] == ("Kubernetes", "Grafana", "Dana Whitfield", "Acme")


def test_capped_to_the_prompt_budget_by_the_real_tokenizer(whisper_engine):
    long_notes = "\n".join(f"- Customer{n} Projectname{n} renewal {n}.5M" for n in range(300))
    terms = build_vocabulary(notes=long_notes, glossary=["Kubernetes"])
    assert terms[0] == "Kubernetes" and 20 < len(terms) < 300
    tokenizer = whisper_engine.model.hf_tokenizer
    text = hotwords_text(terms)
    real = len(tokenizer.encode(" " + text, add_special_tokens=False).ids)
    assert real <= 223 and approx_tokens(text) >= real
    # The engine trims too, whatever it is handed.
    trimmed = whisper_engine.hotwords([f"Projectname{n}" for n in range(500)])
    assert len(tokenizer.encode(" " + trimmed, add_special_tokens=False).ids) <= 223


def test_live_vocabulary_follows_the_notes_as_they_are_typed():
    vocab = LiveVocabulary(glossary=("Grafana",))
    vocab.set_meeting("Roadmap", ["Dana Whitfield"], "")
    assert "Zorblax" not in vocab.terms()
    vocab.set_notes("- Zorblax pricing with Acme")
    assert vocab.terms()[:3] == ("Grafana", "Dana Whitfield", "Acme")
    assert {"Zorblax", "pricing", "Roadmap"} <= set(vocab.terms())
    assert hotwords_text(()) is None


# --- on real speech ------------------------------------------------------------------------------

ME_LINE = "We met Priya Raghunathan yesterday about the pricing."
THEM_LINE = "Good. Priya Raghunathan will own the rollout next week."


@pytest.mark.slow
def test_a_name_misheard_without_the_notes_is_heard_with_them(whisper_engine, tmp_path):
    """A two-voice call: tiny.en turns the name into "Rio Ragtas in"; typed in the notes, it is
    heard as typed, on both sides."""
    me = say(ME_LINE, tmp_path / "me.wav")
    them = say(THEM_LINE, tmp_path / "them.wav", voice="en-gb+f3", speed=140)
    gap = silence(1.0, tmp_path / "gap.wav")
    quiet_me = silence(4.0, tmp_path / "qme.wav")
    quiet_them = silence(4.5, tmp_path / "qthem.wav")
    left = concat([me, gap, quiet_them], tmp_path / "left.wav")
    right = concat([quiet_me, gap, them], tmp_path / "right.wav")
    call = stereo(left, right, tmp_path / "call.wav")

    plain = whisper_engine.transcribe_file(call, language="en")
    terms = build_vocabulary(notes="- Priya Raghunathan: rollout owner", title="Pricing")
    taught = whisper_engine.transcribe_file(call, language="en", vocabulary=terms)

    def said(transcript, speaker):
        return " ".join(s.text for s in transcript.segments if s.speaker == speaker).lower()

    for speaker in ("me", "them"):
        assert "raghunathan" not in said(plain, speaker)
        assert "raghunathan" in said(taught, speaker), said(taught, speaker)
    assert "pricing" in said(taught, "me")  # the rest of the sentence is still heard
