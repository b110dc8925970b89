"""Hallucination filters, on hand-made raw segments (no model needed)."""

from __future__ import annotations

from notes_app.transcribe.cleanup import (
    RawSegment,
    clean_segments,
    collapse_loops,
    normalise,
)


def seg(start, end, text, **fields) -> RawSegment:
    return RawSegment(start=start, end=end, text=text, **fields)


def texts(segments) -> list[str]:
    return [s.text for s in segments]


def test_normal_speech_is_kept_unchanged():
    raw = [seg(0, 3, "Revenue was four point two million."), seg(3.5, 6, "Thank you, Sarah.")]
    assert clean_segments(raw) == raw


def test_empty_and_blank_text_is_dropped():
    raw = [seg(0, 1, ""), seg(1, 2, "   "), seg(2, 4, "We ship on Friday.")]
    assert texts(clean_segments(raw)) == ["We ship on Friday."]


def test_no_speech_with_low_confidence_is_dropped():
    raw = [
        seg(0, 2, "The budget is fine.", no_speech_prob=0.9, avg_logprob=-1.4),
        seg(2, 4, "The launch is in May.", no_speech_prob=0.9, avg_logprob=-0.3),
        seg(4, 6, "Churn fell.", no_speech_prob=0.2, avg_logprob=-1.5),
    ]
    # Only when both say "made up": a confident decode or a likely-speech one stays.
    assert texts(clean_segments(raw)) == ["The launch is in May.", "Churn fell."]


def test_high_compression_ratio_without_a_collapsible_loop_is_dropped():
    raw = [seg(0, 5, "la la la la la la la la", compression_ratio=3.1), seg(6, 8, "Next topic.")]
    assert texts(clean_segments(raw)) == ["Next topic."]


def test_loop_inside_a_segment_is_collapsed_to_one_copy():
    text = "We should go with the annual plan. the annual plan. the annual plan. the annual plan."
    [kept] = clean_segments([seg(0, 6, text, compression_ratio=2.8)])
    assert kept.text == "We should go with the annual plan."


def test_collapse_loops_keeps_ordinary_repetition():
    assert collapse_loops("very, very, very good") == "very, very, very good"
    assert collapse_loops("no no no no no") == "no"
    assert collapse_loops("I think I think I think we agree") == "I think we agree"


def test_phantom_phrase_on_near_silence_is_dropped():
    raw = [seg(0, 3, "Budget is approved."), seg(3.2, 4.0, "Thank you.", rms=0.001)]
    assert texts(clean_segments(raw)) == ["Budget is approved."]


def test_phantom_phrase_alone_and_short_is_dropped_but_kept_in_conversation():
    lonely = [seg(0, 3, "Budget is approved."), seg(20, 21, "you")]
    assert texts(clean_segments(lonely)) == ["Budget is approved."]
    # The same words right after a question, in audible speech, are a real answer.
    answered = [seg(0, 3, "Can you send the deck?"), seg(3.3, 4, "Thank you.", rms=0.1)]
    assert texts(clean_segments(answered)) == ["Can you send the deck?", "Thank you."]


def test_subtitle_credits_are_always_dropped():
    raw = [seg(0, 3, "Subtitles by the Amara.org community"), seg(3, 5, "Let's begin.")]
    assert texts(clean_segments(raw)) == ["Let's begin."]


def test_a_sentence_repeated_in_consecutive_segments_is_kept_once():
    raw = [
        seg(0, 2, "We will ship in May."),
        seg(2, 4, "We will ship in May."),
        seg(4, 6, "We will ship in May."),
        seg(6, 8, "Any questions?"),
    ]
    assert texts(clean_segments(raw)) == ["We will ship in May.", "Any questions?"]


def test_a_short_answer_twice_is_kept_but_three_times_is_a_loop():
    twice = [seg(0, 1, "Yes."), seg(1.5, 2.5, "Yes."), seg(3, 5, "Then we agree.")]
    assert texts(clean_segments(twice)) == ["Yes.", "Yes.", "Then we agree."]
    thrice = [seg(0, 1, "Yes."), seg(1.5, 2.5, "Yes."), seg(3, 4, "Yes.")]
    assert texts(clean_segments(thrice)) == ["Yes.", "Yes."]


def test_normalise_ignores_case_and_punctuation():
    assert normalise("  Thank you!! ") == "thank you"
    assert normalise("Let's GO, now.") == "let's go now"
