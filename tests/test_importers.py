"""Importers on transcripts shaped like real Zoom, Teams, Meet, SRT, JSON and text exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from notes_app.cli import main
from notes_app.domain import ME, THEM, Segment, Transcript, renumber
from notes_app.errors import TranscriptFormatError
from notes_app.transcribe.importers import (
    CHARS_PER_SECOND,
    PARSERS,
    load_transcript,
    parse_txt,
    split_speaker,
)
from notes_app.usecases.files import title_from_filename

DATA = Path(__file__).parent / "data" / "transcripts"
ELITR = Path(__file__).resolve().parents[2] / "shared/eval-data/meetings/elitr/dev_003"


def texts(t: Transcript) -> list[str]:
    return [s.text for s in t.segments]


def speakers(t: Transcript) -> list[str | None]:
    return [s.speaker for s in t.segments]


def load_text(text: str, suffix: str) -> Transcript:
    """Parse text as a file of the given kind would be, through the same dispatch."""
    return PARSERS[suffix](text, Path(f"inline{suffix}"))


def assert_numbered_in_time_order(t: Transcript) -> None:
    assert [s.index for s in t.segments] == list(range(len(t.segments)))
    assert [s.start for s in t.segments] == sorted(s.start for s in t.segments)
    assert all(s.start <= s.end for s in t.segments)


# --- WebVTT -------------------------------------------------------------------------------------


def test_zoom_vtt_takes_speakers_from_name_prefix():
    t = load_transcript(DATA / "zoom.vtt")
    assert_numbered_in_time_order(t)
    assert speakers(t) == ["Dana Whitfield", "Dana Whitfield", "Raj Patel", "Raj Patel", None]
    # Multi-line cue joined; entity decoded; consecutive cues of one speaker stay separate.
    assert t.segments[1].text == (
        "First item is the Q3 budget, we're at 4.2 million against a plan of four."
    )
    assert t.segments[2].text == "Right, and marketing is about 18% over & climbing."
    assert (t.segments[2].start, t.segments[2].end) == (10.2, 14.005)
    assert t.segments[4].text == "Note: this is not a speaker label, just text."


def test_teams_vtt_with_bom_crlf_guid_ids_and_voice_tags():
    raw = (DATA / "teams.vtt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # the sample is really shaped so
    t = load_transcript(DATA / "teams.vtt")
    assert_numbered_in_time_order(t)
    assert speakers(t) == ["Priya Raman", "Tom O'Neil", "Tom O'Neil", "Priya Raman"]
    assert texts(t) == [
        "Can everyone hear me okay?",
        "Yes, loud and clear. The migration finished last night, no errors.",
        "We still need sign-off from legal <by Tuesday>.",
        "Great, thanks Tom.",
    ]
    assert not any("NOTE" in s.text for s in t.segments)


def test_meet_vtt_header_blocks_short_timestamps_and_inline_tags():
    t = load_transcript(DATA / "meet.vtt")
    assert t.language == "en"
    assert_numbered_in_time_order(t)
    assert speakers(t) == ["Sam Ortiz", "Lena Fischer", "Sam Ortiz", "Lena Fischer"]
    assert t.segments[0].text == "So the launch date moves to March 3rd."
    assert t.segments[3].text == "Do we need a design review?"  # <00:09.500> stamps stripped
    # Two voices in one cue share its time, in order, without overlapping.
    both = t.segments[1:3]
    assert both[0].start == 4.8 and both[1].end == 9.0
    assert both[0].end == both[1].start and 4.8 < both[0].end < 9.0


def test_vtt_empty_cues_are_skipped_and_me_them_kept():
    text = (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n\n"
        "00:00:01.000 --> 00:00:02.000\n<v me>I'll take it.</v>\n\n"
        "00:00:02.000 --> 00:00:03.000\nthem: Thanks!\n"
    )
    t = load_text(text, ".vtt")
    assert speakers(t) == [ME, THEM]
    assert texts(t) == ["I'll take it.", "Thanks!"]


def test_vtt_cues_out_of_order_are_renumbered_by_time():
    text = (
        "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nsecond\n\n00:00:01.000 --> 00:00:02.000\nfirst\n"
    )
    t = load_text(text, ".vtt")
    assert texts(t) == ["first", "second"]
    assert [s.index for s in t.segments] == [0, 1]


# --- SRT ----------------------------------------------------------------------------------------


def test_srt_multiline_text_tags_and_speakers():
    t = load_transcript(DATA / "standup.srt")
    assert_numbered_in_time_order(t)
    assert speakers(t) == ["Alice", "Bob", None]
    assert texts(t) == [
        "Morning! Quick round today, I have a hard stop at ten.",
        "The export bug is fixed, it ships in 2.4.1.",
        "Great, thanks.",
    ]
    assert (t.segments[1].start, t.segments[1].end) == (4.5, 7.9)


# --- JSON ---------------------------------------------------------------------------------------


def test_json_round_trip_of_transcribe_output(tmp_path):
    original = Transcript(
        segments=renumber(
            [
                Segment(0, 0.0, 2.5, "Hello from my side.", ME, 0),
                Segment(1, 1.2, 3.75, "And hello from theirs.", THEM, 1),
                Segment(2, 4.0, 6.125, "A named speaker.", "Ana María"),
                Segment(3, 6.5, 7.0, "Nobody knows who.", None),
            ]
        )
    )
    path = tmp_path / "t.json"
    path.write_text(json.dumps(original.to_dict()), encoding="utf-8")
    back = load_transcript(path)
    assert [s.to_dict() for s in back.segments] == [s.to_dict() for s in original.segments]


def test_json_without_index_or_speaker():
    t = load_text('{"segments": [{"start": 1, "end": 2, "text": "hi"}]}', ".json")
    assert t.segments == (Segment(0, 1.0, 2.0, "hi", None),)


# --- plain text ---------------------------------------------------------------------------------


def test_txt_prefixes_carry_over_and_traps_stay_text():
    t = load_transcript(DATA / "meeting.txt")
    assert speakers(t) == ["Alice", "Alice"] + ["Bob"] * 4 + ["Carol"] * 3
    assert texts(t)[3:9] == [
        "Note: marketing spend is included here.",
        "10:30 we start the second half.",
        "See https://example.com/budget for the sheet.",
        "I can explain the marketing part.",
        "Q3: is the quarter we care about.",
        "(laughs) okay fine.",
    ]


def test_txt_times_follow_text_length_without_overlap():
    t = load_transcript(DATA / "meeting.txt")
    assert t.segments[0].start == 0.0
    for prev, seg in zip(t.segments, t.segments[1:], strict=False):
        assert seg.start == prev.end  # sequential, no gaps or overlaps
    first = t.segments[0]
    assert first.end == pytest.approx(len(first.text) / CHARS_PER_SECOND, abs=0.01)


def test_txt_one_segment_per_line_even_for_a_lone_prefix():
    t = load_transcript(DATA / "elitr_style.txt")
    lines = (DATA / "elitr_style.txt").read_text().splitlines()
    assert len(t.segments) == len(lines)
    assert speakers(t) == ["PERSON4", "PERSON1", "PERSON1", "PERSON1", "PERSON4", "PERSON4"]
    assert t.segments[3].text == "<laugh/>"


@pytest.mark.skipif(not ELITR.is_dir(), reason=f"ELITR eval data not present at {ELITR}")
def test_real_elitr_transcript_maps_segment_i_to_line_i_plus_1():
    path = ELITR / "transcript.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(line.strip() for line in lines)  # the mapping below assumes no blank lines
    t = load_transcript(path)
    assert len(t.segments) == len(lines)
    names = {s.speaker for s in t.segments}
    assert names and all(n and n.startswith("PERSON") and n[6:].isdigit() for n in names)
    for seg in t.segments[:50]:
        assert seg.text in lines[seg.index]
    assert_numbered_in_time_order(t)


@pytest.mark.parametrize(
    "line, speaker, rest",
    [
        ("Ann Lee: hello", "Ann Lee", "hello"),
        ("Speaker 1: yes", "Speaker 1", "yes"),
        ("Ludwig van Beethoven: da da da", "Ludwig van Beethoven", "da da da"),
        ("me: mine", "me", "mine"),
        ("Note: not a name", None, "Note: not a name"),
        ("10:30 we start", None, "10:30 we start"),
        ("https://example.com: link", None, "https://example.com: link"),
        ("Q3: revenue", None, "Q3: revenue"),
        ("so basically: this", None, "so basically: this"),
        ("One Two Three Four: too long", None, "One Two Three Four: too long"),
        ("Maximilian Alexander Fitzgerald: too many chars", None, None),
        ("Time:10", None, "Time:10"),
    ],
)
def test_split_speaker(line, speaker, rest):
    assert split_speaker(line) == (speaker, line if rest is None else rest)


def test_paren_prefix_only_for_text_and_names():
    assert split_speaker("(PERSON4) hi", parenthesised=True) == ("PERSON4", "hi")
    assert split_speaker("(Laughter) hi", parenthesised=True) == (None, "(Laughter) hi")
    assert split_speaker("(PERSON4) hi") == (None, "(PERSON4) hi")


# --- malformed files ----------------------------------------------------------------------------

VTT_OK_CUE = "00:00:01.000 --> 00:00:02.000\nfine\n\n"

MALFORMED = [
    (
        "bad-timing.vtt",
        "WEBVTT\n\n" + VTT_OK_CUE + "00:00:03.000 --> 00:00:0x.000\nhi\n",
        6,
        "time",
    ),
    ("no-arrow.vtt", "WEBVTT\n\n1\n00:00:01.000 00:00:02.000\nhi\n", 4, "expected a timing line"),
    ("backwards.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nhi\n", 3, "before it starts"),
    ("no-header.vtt", "00:00:01.000 --> 00:00:02.000\nhi\n", 1, "WEBVTT"),
    ("truncated.vtt", "WEBVTT\n\n" + VTT_OK_CUE + "2\n00:00:03.0", 7, "expected a timing line"),
    ("cut-id.vtt", "WEBVTT\n\n" + VTT_OK_CUE + "2", 6, "expected a timing line"),
    (
        "no-blank.vtt",
        "WEBVTT\n\n" + VTT_OK_CUE.strip() + "\n00:00:03.000 --> 00:00:04.000\n",
        5,
        "blank line",
    ),
    ("bad-minutes.srt", "1\n00:99:01,000 --> 00:99:02,000\nhi\n", 2, "not a time"),
    ("no-arrow.srt", "1\n00:00:01,000 00:00:02,000\nhi\n", 2, "expected a timing line"),
    ("backwards.srt", "1\n00:00:05,000 --> 00:00:01,000\nhi\n", 2, "before it starts"),
    ("truncated.srt", "1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n", 5, "expected a timing line"),
    ("text-first.srt", "Hello there\n00:00:01,000 --> 00:00:02,000\n", 1, "cue number"),
    ("truncated.json", '{"segments": [\n  {"start": 0, "end": 1,\n', 3, "not valid JSON"),
    (
        "no-end.json",
        '{"segments": [\n {"start": 0, "end": 1, "text": "a"},\n {"start": 2, "text": "b"}\n]}',
        3,
        '"end" is missing',
    ),
    ("backwards.json", '{"segments": [{"start": 5, "end": 1, "text": "a"}]}', 1, "before"),
    ("string-time.json", '{"segments": [\n{"start": "0:01", "end": 2, "text": "a"}]}', 2, "number"),
    ("empty-text.json", '{"segments": [{"start": 0, "end": 1, "text": "  "}]}', 1, "non-empty"),
    ("wrong-shape.json", '{"cues": []}', 1, "expected an object"),
    (
        "bad-speaker.json",
        '{"segments": [{"start": 0, "end": 1, "text": "a", "speaker": 3}]}',
        1,
        "speaker",
    ),
]


def run_import(*args: str):
    return CliRunner().invoke(main, ["import", *args])


def assert_nothing_stored(app) -> None:
    assert json.loads(CliRunner().invoke(main, ["list", "--json"]).output) == {"meetings": []}
    assert app.repo.db["segments"].count == 0
    assert app.repo.db["meetings"].count == 0


@pytest.mark.parametrize("name, content, line, phrase", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_file_names_file_and_line_and_stores_nothing(
    tmp_path, app, name, content, line, phrase
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TranscriptFormatError) as err:
        load_transcript(path)
    assert err.value.line == line
    assert phrase in err.value.problem
    res = run_import(str(path))
    assert res.exit_code == 1
    assert f"{name}, line {line}:" in res.stderr and "Nothing was imported" in res.stderr
    assert_nothing_stored(app)


@pytest.mark.parametrize("suffix", [".vtt", ".srt", ".json", ".txt"])
def test_binary_garbage_is_refused(tmp_path, app, suffix):
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(b"WEBVTT\n\x00\x9f\x92\x96\xff\xfe\x00\x01" * 20)
    res = run_import(str(path))
    assert res.exit_code == 1
    assert f"garbage{suffix}, line 2:" in res.stderr and "binary" in res.stderr
    assert_nothing_stored(app)


def test_not_utf8_text_names_the_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Alice: fine\nBob: caf\xe9 later\n".encode("latin-1"))
    with pytest.raises(TranscriptFormatError, match=r"line 2: the text is not UTF-8"):
        load_transcript(path)


def test_utf16_with_bom_is_read(tmp_path):
    path = tmp_path / "notepad.txt"
    path.write_text("Zoë: hallo\n", encoding="utf-16")
    assert load_transcript(path).segments[0].speaker == "Zoë"


@pytest.mark.parametrize("suffix", [".vtt", ".srt", ".json", ".txt"])
@pytest.mark.parametrize("content", ["", "\n\n  \n", "\ufeff"])
def test_empty_file_says_no_speech(tmp_path, suffix, content):
    path = tmp_path / f"empty{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TranscriptFormatError, match="no speech found"):
        load_transcript(path)


def test_vtt_with_only_notes_says_no_speech(tmp_path):
    path = tmp_path / "notes-only.vtt"
    path.write_text("WEBVTT\n\nNOTE nothing said\n", encoding="utf-8")
    with pytest.raises(TranscriptFormatError, match="no speech found"):
        load_transcript(path)


def test_unsupported_and_missing_files(tmp_path):
    with pytest.raises(TranscriptFormatError, match=r"\.docx; supported kinds are \.vtt, \.srt"):
        load_transcript(tmp_path / "minutes.docx")
    with pytest.raises(TranscriptFormatError, match="does not exist"):
        load_transcript(tmp_path / "gone.vtt")


# --- the import command -------------------------------------------------------------------------


def test_import_stores_transcript_and_notes(tmp_path, app):
    notes = tmp_path / "notes.md"
    notes.write_text("# Budget\n- 4.2M\n  - 18%  \n", encoding="utf-8")
    res = run_import(str(DATA / "zoom.vtt"), "--notes", str(notes), "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["segments"] == 5
    meeting = app.repo.get_meeting(out["meeting_id"])
    assert meeting.title == "Zoom"
    assert meeting.notes == "# Budget\n- 4.2M\n  - 18%  \n"  # verbatim
    assert meeting.duration == 21.25
    assert meeting.attendees == ("Dana Whitfield", "Raj Patel")
    stored = app.repo.get_transcript(out["meeting_id"])
    assert stored.segments == load_transcript(DATA / "zoom.vtt").segments


def test_import_prints_the_id_and_takes_a_title(app):
    res = run_import(str(DATA / "standup.srt"), "--title", "Daily standup")
    assert res.exit_code == 0, res.stderr
    meeting_id = int(res.stdout.strip())
    assert app.repo.get_meeting(meeting_id).title == "Daily standup"
    assert "Imported 3 segments" in res.stderr


def test_unreadable_notes_store_nothing(tmp_path, app):
    bad_notes = tmp_path / "notes.md"
    bad_notes.write_bytes(b"caf\xe9\n")
    for notes in (bad_notes, tmp_path / "missing.md"):
        res = run_import(str(DATA / "teams.vtt"), "--notes", str(notes))
        assert res.exit_code == 1
        assert f"notes file {notes}" in res.stderr
    assert_nothing_stored(app)


@pytest.mark.parametrize(
    "name, title",
    [
        ("team-sync_2024-05-01.vtt", "Team sync 2024-05-01"),
        ("GMT20240501-123456_Recording.vtt", "GMT20240501-123456 Recording"),
        ("release.v2.1-planning.srt", "Release v2.1 planning"),
        ("___.txt", "Imported meeting"),
    ],
)
def test_title_from_filename(name, title):
    assert title_from_filename(Path(name)) == title


def test_parse_txt_is_pure():
    assert parse_txt("a\nb\n", Path("x.txt")) == parse_txt("a\nb\n", Path("x.txt"))


# --- display names and robustness ---------------------------------------------------------------


def test_zoom_display_names_that_recur_are_speakers():
    text = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\ndana.w@acme.com: hi all\n\n"
        "2\n00:00:02.000 --> 00:00:03.000\nRaj (he/him): hello\n\n"
        "3\n00:00:03.000 --> 00:00:04.000\ndana.w@acme.com: shall we?\n\n"
        "4\n00:00:04.000 --> 00:00:05.000\nRaj (he/him): yes\n\n"
        "5\n00:00:05.000 --> 00:00:06.000\nso basically: we ship\n"
    )
    t = load_text(text, ".vtt")
    assert speakers(t) == ["dana.w@acme.com", "Raj (he/him)"] * 2 + [None]
    assert texts(t)[-1] == "so basically: we ship"


def test_txt_lowercase_chat_names_that_recur_are_speakers():
    t = load_text("dana: hi\nraj: hello\ndana: ok\nraj: yes\nnote: not a name\nso: once\n", ".txt")
    assert speakers(t) == ["dana", "raj", "dana", "raj", "raj", "raj"]
    assert texts(t)[-1] == "so: once"
    assert texts(t)[-2] == "note: not a name"


_words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1
).filter(lambda s: s.strip())


@settings(max_examples=150, deadline=None)
@given(text=st.text(), kind=st.sampled_from(sorted(PARSERS)))
def test_any_text_parses_or_raises_a_format_error(text, kind):
    try:
        t = PARSERS[kind](text, Path(f"fuzz{kind}"))
    except TranscriptFormatError as e:
        assert str(e).startswith(f"Cannot read transcript fuzz{kind}")
        return
    assert t.segments
    assert_numbered_in_time_order(t)
    assert all(s.text.strip() for s in t.segments)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 10_000, allow_nan=False),
            st.floats(0, 60, allow_nan=False),
            st.sampled_from([ME, THEM, "Ana María", "PERSON7", None]),
            _words,
        ),
        min_size=1,
        max_size=20,
    )
)
def test_json_round_trip_property(items):
    segs = [Segment(0, round(a, 3), round(a + d, 3), t, sp) for a, d, sp, t in items]
    original = Transcript(segments=renumber(segs))
    back = load_text(json.dumps(original.to_dict()), ".json")
    assert [(s.start, s.end, s.speaker) for s in back.segments] == [
        (s.start, s.end, s.speaker) for s in original.segments
    ]
    assert texts(back) == [" ".join(s.text.split()) for s in original.segments]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)))))
def test_txt_gives_one_segment_per_nonblank_line(lines):
    text = "\n".join(line.replace("\r", " ").replace("\n", " ") for line in lines)
    expected = [line for line in text.split("\n") if line.split()]
    if not expected:
        return
    t = load_text(text, ".txt")
    assert len(t.segments) == len(expected)
    assert all(s.start == p.end for p, s in zip(t.segments, t.segments[1:], strict=False))


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.iterdir()))
def test_every_truncation_of_a_sample_parses_or_names_a_line(name):
    """A file cut off anywhere gives a clean error (or the cues read so far), never a crash."""
    text = (DATA / name).read_text(encoding="utf-8-sig")
    parse = PARSERS[Path(name).suffix]
    for cut in range(len(text)):
        try:
            t = parse(text[:cut], Path(name))
        except TranscriptFormatError as e:
            assert e.line is None or 1 <= e.line <= text[:cut].count("\n") + 1
        else:
            assert_numbered_in_time_order(t)


@pytest.mark.parametrize("cut", [40, 80, 120])
def test_truncated_json_export_names_a_line(tmp_path, cut):
    path = tmp_path / "cut.json"
    full = json.dumps(load_transcript(DATA / "zoom.vtt").to_dict(), indent=2)
    path.write_text(full[:cut], encoding="utf-8")
    with pytest.raises(TranscriptFormatError) as err:
        load_transcript(path)
    assert err.value.line and "not valid JSON" in err.value.problem
