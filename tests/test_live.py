"""Streaming transcription: utterance cutting, real Whisper per utterance, echo suppression."""

from __future__ import annotations

import numpy as np
import pytest
from faster_whisper import decode_audio
from speech import concat, say, silence

from notes_app.domain import CHANNEL_ME, CHANNEL_THEM
from notes_app.transcribe.live import (
    MAX_UTTERANCE,
    RATE,
    WINDOW,
    LiveTranscriber,
    RecentAudio,
    SpeechDetector,
    envelopes_correlate,
    text_similarity,
)


def loudness_vad(audio: np.ndarray) -> np.ndarray:
    """Our own seam: 'speech' is any window louder than 0.05 RMS."""
    windows = audio.reshape(-1, WINDOW)
    return (np.sqrt(np.mean(windows**2, axis=1)) > 0.05).astype(np.float32)


def loud(seconds: float) -> np.ndarray:
    return np.full(int(seconds * RATE), 0.3, np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def feed_in_odd_pieces(det: SpeechDetector, audio: np.ndarray) -> list:
    found = []
    for i in range(0, len(audio), 700):
        found += det.feed(audio[i : i + 700])
    return found


def test_an_utterance_is_cut_after_the_hangover_with_padding():
    det = SpeechDetector(CHANNEL_THEM, loudness_vad)
    found = feed_in_odd_pieces(det, np.concatenate([quiet(1), loud(2), quiet(1)]))
    assert len(found) == 1
    utt = found[0]
    assert utt.channel == CHANNEL_THEM
    assert utt.start == pytest.approx(0.7, abs=0.05)  # 300 ms before the speech
    assert utt.end == pytest.approx(3.3, abs=0.05)  # and 300 ms after
    assert len(utt.audio) == pytest.approx((utt.end - utt.start) * RATE, abs=2)


def test_a_short_pause_does_not_split_and_a_click_is_ignored():
    det = SpeechDetector(CHANNEL_ME, loudness_vad)
    audio = np.concatenate([loud(1), quiet(0.2), loud(1), quiet(1), loud(0.1), quiet(1)])
    found = feed_in_odd_pieces(det, audio)
    assert [(round(u.start, 1), round(u.end, 1)) for u in found] == [(0.0, 2.5)]


def test_a_monologue_is_cut_at_the_length_cap_and_nothing_is_lost():
    det = SpeechDetector(CHANNEL_ME, loudness_vad)
    found = feed_in_odd_pieces(det, np.concatenate([loud(40), quiet(1)]))
    assert len(found) == 3
    assert all(u.end - u.start <= MAX_UTTERANCE + 0.35 for u in found)
    for before, after in zip(found, found[1:], strict=False):
        assert after.start == pytest.approx(before.end, abs=0.01)  # contiguous, no gap
    assert found[-1].end == pytest.approx(40.3, abs=0.05)


def test_flush_closes_speech_still_in_progress():
    det = SpeechDetector(CHANNEL_ME, loudness_vad)
    assert feed_in_odd_pieces(det, np.concatenate([quiet(0.5), loud(1)])) == []
    [utt] = det.flush()
    assert utt.start == pytest.approx(0.2, abs=0.05) and utt.end == pytest.approx(1.5, abs=0.05)


def test_memory_of_a_detector_does_not_grow_with_silence():
    det = SpeechDetector(CHANNEL_ME, loudness_vad)
    for _ in range(100):
        det.feed(quiet(1))
    assert len(det.buf) < RATE


def test_recent_audio_keeps_the_last_seconds_by_meeting_time_in_one_buffer():
    rng = np.random.default_rng(1)
    recent = RecentAudio(seconds=1.0)
    ring = recent._ring
    heard = np.zeros(0, np.float32)
    for n in (100, 5000, 16000, 20000, 3, 7000, 15999, 40000, 1):
        chunk = rng.normal(size=n).astype(np.float32)
        recent.add(chunk)
        heard = np.concatenate([heard, chunk])
        oldest = max(len(heard) - RATE, 0)
        near_end = (len(heard) - 500) // 125 * 125  # 125 samples: 1/128 s, exact as a float
        for start, end in ((0, 10), (oldest, len(heard)), (near_end, near_end + 375)):
            a, b = max(start, oldest), min(end, len(heard))
            assert np.array_equal(recent.span(start / RATE, end / RATE), heard[a:b])
    assert recent._ring is ring  # never reallocated


def test_echo_measures():
    rng = np.random.default_rng(0)
    speechlike = rng.normal(size=3 * RATE).astype(np.float32) * np.repeat(
        rng.uniform(0, 1, 30), RATE // 10
    ).astype(np.float32)
    delayed_quieter = np.concatenate([quiet(0.05), 0.3 * speechlike])[: len(speechlike)]
    assert envelopes_correlate(delayed_quieter, speechlike) > 0.9
    other = rng.normal(size=3 * RATE).astype(np.float32)
    assert envelopes_correlate(other, speechlike) < 0.5
    assert text_similarity("We ship on Friday.", "we ship on friday") == 1.0
    assert text_similarity("We ship on Friday.", "Lunch is at noon.") < 0.3


@pytest.fixture(scope="module")
def voices(tmp_path_factory):
    d = tmp_path_factory.mktemp("voices")
    gap = silence(1.0, d / "gap.wav")
    budget = say("The quarterly budget was approved yesterday.", d / "budget.wav")
    release = say("We should ship the new release on Friday.", d / "release.wav")
    hello = say("Hello everyone, can you hear me?", d / "hello.wav")
    return {
        "them": decode_audio(str(concat([gap, budget, gap, release, gap], d / "them.wav"))),
        "hello": decode_audio(str(concat([gap, hello, gap], d / "me.wav"))),
    }


def run_live(engine, feeds: dict[int, np.ndarray]):
    committed, errors = [], []
    live = LiveTranscriber(
        engine,
        channels=sorted(feeds),
        language="en",
        on_commit=committed.extend,
        on_error=errors.append,
    )
    live.start()
    longest = max(len(a) for a in feeds.values())
    for i in range(0, longest, 1600):  # both channels fed in step, as the session does
        for channel, audio in feeds.items():
            block = audio[i : i + 1600]
            live.feed(channel, np.pad(block, (0, 1600 - len(block))))
    live.finish()
    assert errors == []
    return committed, live


def words(text: str) -> set[str]:
    return set(text.lower().replace(".", "").replace(",", "").split())


def test_each_utterance_is_committed_with_its_time(whisper_engine, voices):
    committed, _ = run_live(whisper_engine, {CHANNEL_THEM: voices["them"]})
    assert len(committed) == 2
    first, second = committed
    assert {"budget", "approved"} <= words(first.text) or {"budget", "yesterday"} <= words(
        first.text
    )
    assert {"release", "friday"} <= words(second.text)
    assert first.speaker == second.speaker == "them" and first.channel == CHANNEL_THEM
    assert 0.5 < first.start < 1.3 and first.end < second.start


def test_me_and_them_stay_apart(whisper_engine, voices):
    committed, _ = run_live(
        whisper_engine, {CHANNEL_ME: voices["hello"], CHANNEL_THEM: voices["them"]}
    )
    mine = [s for s in committed if s.speaker == "me"]
    theirs = [s for s in committed if s.speaker == "them"]
    assert len(mine) == 1 and "hello" in words(mine[0].text)
    assert len(theirs) == 2
    assert not any("budget" in words(s.text) for s in mine)


def test_the_other_side_heard_through_the_mic_appears_once_as_them(whisper_engine, voices):
    bleed = 0.4 * np.concatenate([np.zeros(800, np.float32), voices["them"]])  # later, quieter
    committed, live = run_live(
        whisper_engine, {CHANNEL_ME: bleed[: len(voices["them"])], CHANNEL_THEM: voices["them"]}
    )
    assert [s.speaker for s in committed] == ["them", "them"]
    assert live.dropped_echo == 2


# --- how each utterance is decoded (a recording engine: our own seam) ---------------------------


class RecordingEngine:
    """Answers each utterance with its number and keeps the options it was asked with."""

    def __init__(self, delay: float = 0.0):
        self.calls: list[dict] = []
        self.delay = delay

    def transcribe_array(self, audio, *, offset=0.0, **options):
        import time

        from notes_app.domain import Segment

        time.sleep(self.delay)
        self.calls.append(options)
        end = offset + len(audio) / RATE
        return [Segment(0, offset, end, f"utterance {len(self.calls)}")]


def two_utterances_on(channel: int, pause: float) -> np.ndarray:
    return np.concatenate([quiet(0.5), loud(1), quiet(pause), loud(1), quiet(1)])


def run_fake(engine, feeds, **kwargs):
    from notes_app.transcribe.live import LiveDecoding

    kwargs.setdefault("decoding", LiveDecoding(catch_up_after=None))
    found = []
    t = LiveTranscriber(
        engine,
        channels=list(feeds),
        language="en",
        on_commit=found.extend,
        vad_model=loudness_vad,
        **kwargs,
    )
    t.start()
    n = max(len(a) for a in feeds.values())
    for i in range(0, n, 1600):
        for ch, audio in feeds.items():
            t.feed(ch, audio[i : i + 1600])
    t.finish(timeout=30)
    return found, t


def test_the_previous_utterance_is_the_context_of_the_next_when_close_enough():
    engine = RecordingEngine()
    run_fake(engine, {CHANNEL_ME: two_utterances_on(CHANNEL_ME, 1.0)})
    assert [c["context"] for c in engine.calls] == [None, "utterance 1"]
    assert {c["beam_size"] for c in engine.calls} == {5}

    engine = RecordingEngine()
    run_fake(engine, {CHANNEL_ME: two_utterances_on(CHANNEL_ME, 4.0)})  # a new stretch of talk
    assert [c["context"] for c in engine.calls] == [None, None]


def test_each_utterance_gets_the_vocabulary_as_it_is_then():
    engine = RecordingEngine()
    typed = [("Zorblax",), ("Zorblax", "Priya Raghunathan")]
    run_fake(engine, {CHANNEL_THEM: two_utterances_on(CHANNEL_THEM, 1.0)}, vocabulary=typed.pop)
    assert [c["vocabulary"] for c in engine.calls] == [
        ("Zorblax", "Priya Raghunathan"),
        ("Zorblax",),
    ]


def test_behind_it_decodes_greedily_without_context_and_says_so_until_caught_up():
    from notes_app.transcribe.live import LiveDecoding

    engine = RecordingEngine(delay=0.3)
    told = []
    speech = np.concatenate([np.concatenate([loud(1), quiet(1)]) for _ in range(6)])
    found, transcriber = run_fake(
        engine,
        {CHANNEL_ME: speech},
        decoding=LiveDecoding(catch_up_after=4.0),
        on_catching_up=told.append,
    )
    # Fed 12 s at once: the first utterances are decoded in a hurry, the last ones not.
    beams = [c["beam_size"] for c in engine.calls]
    assert len(found) == 6 and beams[0] == 1 and beams[-1] == 5
    assert all(c["context"] is None for c in engine.calls if c["beam_size"] == 1)
    assert told == [True, False] and not transcriber.catching_up
