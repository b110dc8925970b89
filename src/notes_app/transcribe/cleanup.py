"""Dropping what Whisper makes up: pure functions over the raw fields of its segments.

Whisper hallucinates in known ways: text over silence (its own no-speech probability is high
and its confidence low), the stock phrases of the subtitles it was trained on ("Thank you.",
"you", "Thanks for watching") on near-silence, and loops (one sentence again and again, or a
phrase repeated inside a segment). Both file and live transcription run their segments through
``clean_segments``; nothing here knows about models or audio devices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

# Whisper's own thresholds for "this decode failed".
NO_SPEECH_PROB = 0.6
LOW_AVG_LOGPROB = -1.0
MAX_COMPRESSION_RATIO = 2.4

# Below this RMS level (full scale = 1.0; about -46 dBFS) the audio is near-silent.
NEAR_SILENT_RMS = 0.005
# A phantom phrase this short with this much quiet around it is not a real utterance.
ISOLATED_MAX_SECONDS = 2.0
ISOLATION_GAP_SECONDS = 3.0

PHANTOM_PHRASES = frozenset(
    {
        "you", "thank you", "thank you very much", "thanks", "thanks for watching",
        "thank you for watching", "thanks for watching and see you next time",
        "please subscribe", "like and subscribe", "music", "applause", "silence", "the end",
    }
)  # fmt: skip
# Credits Whisper copies from subtitle files; never said in a meeting.
CREDIT_PATTERN = re.compile(
    r"^(subtitles|subtitled|captions|captioned|transcription|translated)\s+by\b|amara\.org",
    re.IGNORECASE,
)

_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class RawSegment:
    """What a recogniser gives for one segment, before cleaning.

    ``rms`` is the audio level over the segment when the caller has the audio (None: unknown).
    """

    start: float
    end: float
    text: str
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    rms: float | None = None


def normalise(text: str) -> str:
    """Lower-case words only, for comparing texts: "Thank you!" -> "thank you"."""
    return " ".join(_WORD.findall(text.lower()))


def collapse_loops(text: str, *, max_ngram: int = 8) -> str:
    """A phrase repeated three or more times in a row is kept once ("no, no, no, no" -> "no,").

    Single words need four repeats, since "very, very, very" is ordinary speech.
    """
    words = text.split()
    changed = True
    while changed:
        changed = False
        for n in range(1, max_ngram + 1):
            collapsed = _collapse_ngram(words, n, min_repeats=4 if n == 1 else 3)
            if len(collapsed) < len(words):
                words, changed = collapsed, True
    return " ".join(words)


def _collapse_ngram(words: list[str], n: int, *, min_repeats: int) -> list[str]:
    keys = [normalise(w) for w in words]
    out: list[str] = []
    i = 0
    while i < len(words):
        gram = keys[i : i + n]
        repeats = 1
        while (
            len(gram) == n and all(gram) and keys[i + repeats * n : i + (repeats + 1) * n] == gram
        ):
            repeats += 1
        if repeats >= min_repeats:
            out.extend(words[i : i + n])
            i += repeats * n
        else:
            out.append(words[i])
            i += 1
    return out


def is_silence_hallucination(seg: RawSegment) -> bool:
    """Whisper itself thinks there was no speech, and is unsure of the words."""
    return seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < LOW_AVG_LOGPROB


def is_phantom(seg: RawSegment, before: RawSegment | None, after: RawSegment | None) -> bool:
    """A stock subtitle phrase on near-silence, or alone and short with quiet around it."""
    if CREDIT_PATTERN.search(seg.text.strip()):
        return True
    if normalise(seg.text) not in PHANTOM_PHRASES:
        return False
    if seg.rms is not None and seg.rms < NEAR_SILENT_RMS:
        return True
    return _is_isolated(seg, before, after) and seg.end - seg.start <= ISOLATED_MAX_SECONDS


def _is_isolated(seg: RawSegment, before: RawSegment | None, after: RawSegment | None) -> bool:
    quiet_before = before is None or seg.start - before.end >= ISOLATION_GAP_SECONDS
    quiet_after = after is None or after.start - seg.end >= ISOLATION_GAP_SECONDS
    return quiet_before and quiet_after


def _is_repeat(seg: RawSegment, kept: Sequence[RawSegment]) -> bool:
    """The same text as the segment just kept: a loop, when it is a sentence or comes a third time.

    A single "Yes." twice in a row is ordinary; the same sentence twice, or any text three
    times, is Whisper stuck.
    """
    if not kept:
        return False
    text = normalise(seg.text)
    if text != normalise(kept[-1].text):
        return False
    if len(text.split()) >= 3:
        return True
    return len(kept) >= 2 and text == normalise(kept[-2].text)


def clean_segments(raw: Iterable[RawSegment]) -> list[RawSegment]:
    """The segments worth keeping, in order, with loops inside a segment collapsed."""
    segments = [s for s in raw if s.text.strip()]
    kept: list[RawSegment] = []
    for i, seg in enumerate(segments):
        before = segments[i - 1] if i > 0 else None
        after = segments[i + 1] if i + 1 < len(segments) else None
        if is_silence_hallucination(seg) or is_phantom(seg, before, after):
            continue
        text = collapse_loops(seg.text.strip())
        # A decode that compresses too well is a loop; keep it only if collapsing the loop
        # left a real sentence behind.
        if seg.compression_ratio > MAX_COMPRESSION_RATIO and (
            text == seg.text.strip() or len(text.split()) < 3
        ):
            continue
        seg = replace(seg, text=text)
        if _is_repeat(seg, kept):
            continue
        kept.append(seg)
    return kept
