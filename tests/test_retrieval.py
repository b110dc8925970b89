"""Each step of retrieval does what it says: question framing dropped, named speakers
recognised and weighed, turns blended with their neighbours, word and meaning scores fused by
weight, passages kept apart, and a transcript tokenised once for many questions (in memory, in
the store and on the share server)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import notes_app.retrieval as retrieval
from notes_app.ask import retrieve_from_store, retrieve_passages
from notes_app.domain import Block, Segment
from notes_app.retrieval import (
    DEFAULT,
    TranscriptIndex,
    by_speaker,
    fuse,
    named_speakers,
    parse_question,
    passage_scores,
    pick,
    topic_words,
)
from notes_app.semantic import StaticEmbedder
from notes_app.store.search import Filters
from notes_app.textkit import bm25, speaker_names


def _segs(lines):
    return [Segment(i, i * 10.0, i * 10.0 + 9.0, text, who) for i, (who, text) in enumerate(lines)]


# --- the question --------------------------------------------------------------------------


def test_question_framing_is_dropped_in_every_form_of_the_word():
    assert topic_words("Summarize the discussion about the budget.") == ["budget"]
    assert topic_words("What were they discussing regarding the launch?") == ["launch"]
    assert topic_words("Please describe the pricing, and explain the reaction") == ["pricing"]
    # What a tokeniser leaves of a contraction is no topic word, in questions or in turns.
    assert topic_words("Why didn't Ben agree? He'll pay") == ["ben", "agree", "pay"]
    assert retrieval.terms("We didn't, and they wouldn't") == []
    kept = topic_words("Describe the budget", replace(DEFAULT, framing=False))
    assert kept == ["describe", "budget"]


@pytest.mark.parametrize(
    ("question", "speakers", "named"),
    [
        ("What did Anna think about the budget?", ["Anna", "Ben"], {"Anna"}),
        ("Why did the Marketing disagree on price?", ["Marketing", "Project Manager"],
         {"Marketing"}),
        ("What was Marketing's view on price?", ["Marketing", "Project Manager"], {"Marketing"}),
        ("What did C think about the setup?", ["Professor C", "Grad B", "Grad A"],
         {"Professor C"}),
        ("What did C think about the setup?", ["Professor C", "Grad C"],
         {"Professor C", "Grad C"}),
        ("What did Grad E say about disks?", ["Grad E", "Grad A", "Professor B"], {"Grad E"}),
        ("What did the professor think?", ["Grad E", "Professor B"], {"Professor B"}),
        ("What was the marketing budget?", ["Marketing", "Project Manager"], set()),
        ("What did we decide on budget and marketing?", ["Marketing", "Anna"], set()),
        ("Who brought up the user interface?", ["User Interface", "Marketing"], set()),
        ("What did Anna and Ben agree?", ["Anna", "Ben", "Cy"], {"Anna", "Ben"}),
        ("What did we say about the budget?", ["me", "them"], set()),
        ("Why did the Industrial Design object?", ["Industrial Designer", "Marketing"],
         {"Industrial Designer"}),
        ("How did market trends change?", ["Marketing", "Project Manager"], set()),
    ],
)  # fmt: skip
def test_a_speaker_is_named_when_the_question_asks_what_they_said_or_did(question, speakers, named):
    assert named_speakers(question, speakers)[0] == named


def test_another_form_of_a_label_word_names_the_speaker_and_is_no_topic_word():
    labels = ["Industrial Designer", "Project Manager", "Marketing"]
    q = parse_question("Why did the Industrial Design reject the rubber case?", labels)
    assert q.speakers == {"Industrial Designer"} and "design" not in q.words
    q = parse_question("What did the project management say about rubber?", labels)
    assert q.speakers == {"Project Manager"} and q.words == ("rubber",)
    # One word alone must be written as the label writes it: "market" is not "Marketing".
    assert not parse_question("What did market research show?", labels).speakers


def test_a_speaker_spoken_with_is_a_person_not_a_topic():
    labels = ["Project Manager", "Marketing", "Industrial Designer"]
    q = parse_question("Why did the Project Manager agree with Marketing on the price?", labels)
    assert q.speakers == {"Project Manager"} and "marketing" not in q.words and "price" in q.words
    q = parse_question("What did Anna say to Ben about hiring?", ["Anna", "Ben"])
    assert q.speakers == {"Anna"} and q.words == ("hiring",)
    # Not after "with", "to" …: the word is what the question is about.
    assert "marketing" in parse_question("What was the marketing budget?", labels).words


def test_a_named_speaker_is_who_not_what():
    q = parse_question("What did the Industrial Designer think of the buttons?",
                       ["Industrial Designer", "Marketing"])  # fmt: skip
    assert q.words == ("buttons",) and q.speakers == {"Industrial Designer"}
    off = parse_question("What did the Industrial Designer think of the buttons?",
                         ["Industrial Designer"], replace(DEFAULT, speakers=False))  # fmt: skip
    assert off.words == ("industrial", "designer", "buttons") and not off.speakers
    # A question about nothing but the speaker still has something to match.
    assert parse_question("What did Anna say?", ["Anna"]).words == ("anna",)


# --- scoring -------------------------------------------------------------------------------


def test_neighbours_lift_a_turn_inside_a_stretch_of_matches():
    lexical = np.array([0.0, 2.0, 0.0, 0.0, 1.5, 1.5, 1.5, 0.0])
    alone = passage_scores(lexical, None, replace(DEFAULT, neighbours=0.0))
    blended = passage_scores(lexical, None, DEFAULT)
    assert int(np.argmax(alone)) == 1  # the single strongest turn
    assert int(np.argmax(blended)) == 5  # the middle of the stretch: 1.5 + 0.5 * 3
    assert blended[2] == pytest.approx(0.5 * 2.0)  # a silent turn next to a match gets some


def test_a_named_speakers_turns_weigh_more():
    lexical = np.array([1.0, 0.0, 0.0, 1.0])
    spoke = np.array([0.0, 0.0, 0.0, 1.0])
    boosted = passage_scores(lexical, spoke, replace(DEFAULT, neighbours=0.0, speaker_boost=1.0))
    assert boosted.tolist() == [1.0, 0.0, 0.0, 2.0]
    assert passage_scores(lexical, spoke, replace(DEFAULT, neighbours=0))[3] == 1  # off by default
    # What weighs them now: once fused, everyone else's turns keep a quarter of their score.
    assert by_speaker(np.array([1.0, 0.4, 0.0, 1.0]), spoke).tolist() == [0.25, 0.1, 0.0, 1.0]
    assert by_speaker(np.array([1.0, 0.4]), np.zeros(2)).tolist() == [1.0, 0.4]  # nobody named


def test_weighted_fusion_keeps_how_much_better_a_word_match_is():
    words = np.array([10.0, 1.0, 0.0])
    meaning = np.array([0.2, 0.9, 0.8])
    weighted = fuse(words, meaning, DEFAULT)
    assert weighted.tolist() == pytest.approx([1.0, 0.1 + 0.5, 0.5 * 6 / 7])
    assert int(np.argmax(weighted)) == 0
    # Ranks alone forget that the first turn matched ten times better than the second.
    ranked = fuse(words, meaning, replace(DEFAULT, fusion="rrf"))
    assert int(np.argmax(ranked)) == 1
    assert fuse(words, None, DEFAULT).tolist() == [1.0, 0.1, 0.0]
    assert fuse(words, meaning, replace(DEFAULT, semantic_weight=0)).tolist() == [1.0, 0.1, 0.0]


def test_passages_show_different_stretches_of_talk():
    scores = np.array([0.1, 0.9, 0.8, 0.7, 0.0, 0.6, 0.5])
    assert pick(scores, 3, 1) == [1, 3, 5]  # 2 is beside 1; 4 scores nothing
    assert pick(scores, 3, 0) == [1, 2, 3]
    assert pick(scores, 3, 1, turns=2) == [1, 2, 3]  # items from 2 on are notes: never skipped
    # Passages from other stretches of talk first ("spread" turns further apart) ...
    long = np.zeros(40)
    long[[10, 12, 14, 30]] = [0.9, 0.8, 0.7, 0.5]
    assert pick(long, 2, 1, settings=replace(DEFAULT, spread=5)) == [10, 30]
    assert pick(long, 2, 1, settings=replace(DEFAULT, spread=0)) == [10, 12]
    # ... and when there are not enough of those, the rest still come, best first.
    assert pick(long, 4, 1, settings=replace(DEFAULT, spread=5)) == [10, 12, 14, 30]
    assert pick(scores, 3, 1, settings=replace(DEFAULT, spread=1)) == [1, 3, 5]


# --- the index -----------------------------------------------------------------------------

TALK = [
    ("Anna", "The budget for the launch is forty thousand"),
    ("Ben", "The budget seems high to me"),
    ("Cy", "Lunch is at noon"),
    ("Ben", "Ok"),
    ("Anna", "I think the budget should stay, the launch needs it"),
    ("Ben", "Fine by me"),
]


def test_index_scores_as_textkit_bm25_does():
    index = TranscriptIndex(_segs(TALK))
    docs = [retrieval.terms(t) for _, t in TALK]
    query = ["budget", "launch"]
    assert index.bm25(query).tolist() == pytest.approx(bm25(query, docs))


def test_a_named_speakers_turn_comes_first():
    segs = _segs([("Anna", "The budget, the budget: the budget is what we need"),
                  ("Cy", "Lunch is at noon"),
                  ("Ben", "That budget seems high to me"),
                  ("Cy", "Ok")])  # fmt: skip
    question = "What did Ben think about the budget?"
    plain = retrieve_passages(
        question, segs, k=2, context=0, settings=replace(DEFAULT, speakers=False)
    )
    assert plain[0].segment == 0  # without the step, "Ben" is just a word nobody said
    mine = retrieve_passages(question, segs, k=2, context=0)
    assert mine[0].segment == 2 and mine[0].text.startswith("Ben:")


CLUSTERING = [
    ("Ben", "Could you cluster the phones, just do some kind of clustering?"),
    ("Anna", "You could, yes, bin them into categories by how they sound."),
    ("Cy", "Clustering took a week last time, the clustering code is slow."),
    ("Ben", "Ok"),
]


def test_what_a_named_speaker_thought_is_found_in_their_turns():
    # Ben raised clustering and Cy said the word twice; Anna answered without it.
    segs = _segs(CLUSTERING)
    question = "What did Anna think about clustering?"
    flat = retrieve_passages(
        question, segs, k=1, context=0, settings=replace(DEFAULT, others_weight=1.0)
    )
    assert flat[0].segment != 1  # by words alone, a turn that says "clustering" wins
    found = retrieve_passages(question, segs, k=1, context=0)
    assert found[0].segment == 1 and found[0].text.startswith("Anna:")
    # Nobody named: every turn keeps its score.
    assert retrieve_passages("What about clustering?", segs, k=1, context=0)[0].segment != 1


def test_across_meetings_a_named_speakers_turns_come_first(repo):
    import notes_app.ask as ask

    ask._INDEXES.clear()
    repo.create_meeting("Launch", segments=_segs(TALK))
    phones = repo.create_meeting("Phones", segments=_segs(CLUSTERING))
    found = retrieve_from_store(repo, "What did Anna think about clustering?", k=1, context=0)
    assert [(p.meeting_id, p.segment) for p in found] == [(phones, 1)]


BACKCHANNEL = [
    ("Ben", "The launch budget is forty thousand, mostly ads"),
    ("Anna", "Yeah, okay."),
    ("Cy", "Launch budget aside, travel for the launch is extra"),
    ("Ben", "Right."),
]


def test_a_turn_that_says_next_to_nothing_is_no_passage_of_its_own(repo):
    segs = _segs(BACKCHANNEL)
    question = "What about the launch budget?"
    flat = retrieve_passages(
        question, segs, k=2, context=0, settings=replace(DEFAULT, short_weight=1.0)
    )
    assert [p.segment for p in flat] == [2, 1]  # "Yeah, okay." borrows both neighbours' scores
    assert [p.segment for p in retrieve_passages(question, segs, k=2, context=0)] == [2, 0]
    # The store says the same, about one meeting and across meetings.
    import notes_app.ask as ask

    ask._INDEXES.clear()
    meeting = repo.create_meeting("Launch", segments=segs)
    one = retrieve_from_store(repo, question, Filters(meeting_id=meeting), k=2, context=0)
    assert [p.segment for p in one] == [2, 0]
    every = retrieve_from_store(repo, question, k=2, context=0)
    assert sorted(p.segment for p in every) == [0, 2]  # FTS5 scores the two its own way


def test_an_index_asks_many_questions_without_tokenising_the_transcript_again(monkeypatch):
    segs = _segs(TALK)
    blocks = [Block("bullet", "Launch budget agreed at forty thousand", "user", 1, ())]
    index = TranscriptIndex(segs, blocks)
    calls = []
    real = retrieval.terms
    monkeypatch.setattr(retrieval, "terms", lambda text: calls.append(text) or real(text))
    first = retrieve_passages("what was agreed on the budget", (), index=index, k=2)
    again = retrieve_passages("what about the budget", (), index=index, k=2)
    assert calls == []
    assert first[0].kind == "notes" and first[0].text == blocks[0].text
    assert again and all(p.kind in ("notes", "transcript") for p in again)
    # The same answer as building the index on the spot.
    assert retrieve_passages("what was agreed on the budget", segs, blocks, k=2) == first


def test_in_memory_semantic_stage_finds_what_the_words_miss():
    segs = _segs([("A", "Dana is going to interview the two candidates"),
                  ("B", "The laptop battery dies after two hours"),
                  ("A", "Lunch will be at the Italian place")])  # fmt: skip
    assert retrieve_passages("who are we hiring?", segs) == []
    index = TranscriptIndex(segs, embedder=StaticEmbedder())
    found = retrieve_passages("who are we hiring?", (), index=index, k=1, context=0)
    assert found[0].segment == 0


def test_the_store_keeps_one_index_per_transcript_while_it_stays_the_same(repo, monkeypatch):
    import notes_app.ask as ask

    meeting = repo.create_meeting("Launch", segments=_segs(TALK))
    built = []
    real = ask.TranscriptIndex
    monkeypatch.setattr(ask, "TranscriptIndex", lambda segs: built.append(1) or real(segs))
    ask._INDEXES.clear()
    one = retrieve_from_store(repo, "launch budget", Filters(meeting_id=meeting), k=2)
    two = retrieve_from_store(repo, "What did Ben think about the budget?",
                              Filters(meeting_id=meeting), k=2, context=0)  # fmt: skip
    assert len(built) == 1 and one and two[0].segment == 1
    changed = [*_segs(TALK)[:5], Segment(5, 50.0, 59.0, "The launch budget is final", "Ben")]
    repo.replace_segments(meeting, changed)
    found = retrieve_from_store(repo, "final", Filters(meeting_id=meeting), k=1, context=0)
    assert len(built) == 2 and found[0].segment == 5
    # Other filters go through FTS5 as before, and say the same about this meeting.
    across = retrieve_from_store(repo, "final", Filters(), k=1, context=0)
    assert [(p.meeting_id, p.segment) for p in across] == [(meeting, 5)]


def test_the_share_server_indexes_a_snapshot_once(monkeypatch):
    import notes_app.share.answer as share_answer
    from notes_app.share.model import Snapshot

    built = []
    real = share_answer.TranscriptIndex
    monkeypatch.setattr(share_answer, "TranscriptIndex",
                        lambda *a, **kw: built.append(1) or real(*a, **kw))  # fmt: skip
    monkeypatch.setattr(share_answer, "default_embedder", lambda: None)
    snapshot = Snapshot("Launch", None, (), (), tuple(_segs(TALK)))
    first = share_answer.answer_question(snapshot, "What is the launch budget?")
    again = share_answer.answer_question(snapshot, "Who thinks the budget is high?")
    assert len(built) == 1
    assert first.answer.citations and again.answer.citations[0].segment == 1
    other = Snapshot("Launch", None, (), (), tuple(_segs(TALK[:2])))
    share_answer.answer_question(other, "What is the launch budget?")
    assert len(built) == 2


def test_asking_about_one_meeting_keeps_its_filters_and_its_notes(repo):
    meeting = repo.create_meeting("Launch", segments=_segs(TALK), notes="Venue: the old mill")
    bens = retrieve_from_store(repo, "budget", Filters(meeting_id=meeting, speaker="Ben"),
                               context=0)  # fmt: skip
    assert [p.segment for p in bens] == [1]
    (notes,) = retrieve_from_store(repo, "Where is the venue?", Filters(meeting_id=meeting))
    assert notes.kind == "notes" and "old mill" in notes.text
    # A date filter that leaves the meeting out leaves its turns out too.
    late = Filters(meeting_id=meeting, since="2999-01-01")
    assert retrieve_from_store(repo, "budget", late) == []


# --- a call's other side, named by the meeting's one attendee ------------------------------

# A two-voice recording: the mic is "me", the call is "them"; the greeting names Sarah.
CALL = [
    ("me", "Hi Sarah, thanks for joining."),
    ("them", "Sure, revenue for the quarter came in at four million."),
    ("me", "Next topic is pricing for the annual plan and new customers."),
    ("them", "I would keep the twenty percent discount on the annual plan, it stays profitable."),
    ("me", "Good, let's go with that."),
]
ABOUT_SARAH = "What did Sarah say about the discount?"


def test_the_one_attendee_names_the_other_side_of_the_call():
    assert speaker_names(["Sarah"]) == {"them": "Sarah"}
    assert speaker_names([" Sarah ", ""]) == {"them": "Sarah"}
    assert speaker_names(["Sarah", "Tom"]) == speaker_names([]) == {}
    sides = ["me", "them"]
    q = parse_question(ABOUT_SARAH, sides, names={"them": "Sarah"})
    assert q.speakers == {"them"} and q.words == ("discount",)
    view = parse_question("Sarah's view on pricing", sides, names={"them": "Sarah"})
    assert view.speakers == {"them"} and view.words == ("pricing",)
    # Without the name, Sarah is a topic word, as she is to a transcript of other people.
    plain = parse_question(ABOUT_SARAH, sides)
    assert not plain.speakers and plain.words == ("sarah", "discount")


def test_in_memory_a_question_naming_the_one_attendee_finds_the_other_side():
    segs = _segs(CALL)
    before = retrieve_passages(ABOUT_SARAH, segs, k=1, context=0)
    assert before[0].segment == 0  # by words alone, the greeting says "Sarah"
    found = retrieve_passages(ABOUT_SARAH, segs, k=1, context=0, attendees=["Sarah"])
    assert found[0].segment == 3
    # With two attendees either could be "them": nothing is mapped.
    two = retrieve_passages(ABOUT_SARAH, segs, k=1, context=0, attendees=["Sarah", "Tom"])
    assert two == before


def test_asking_about_one_stored_meeting_maps_its_one_attendee(repo):
    import notes_app.ask as ask

    ask._INDEXES.clear()
    with_sarah = repo.create_meeting("Q2 review", segments=_segs(CALL), attendees=["Sarah"])
    with_two = repo.create_meeting("Q2 review", segments=_segs(CALL), attendees=["Sarah", "Tom"])

    def first(meeting, **filters):
        found = retrieve_from_store(
            repo, ABOUT_SARAH, Filters(meeting_id=meeting, **filters), k=1, context=0
        )
        return found[0].segment

    assert first(with_sarah) == 3
    assert first(with_two) == 0  # as before: the greeting's "Sarah" wins
    # With another filter the meeting goes through FTS5, and maps the same.
    assert first(with_sarah, since="2000-01-01") == 3
    assert first(with_two, since="2000-01-01") == 0


def test_the_share_server_maps_the_snapshots_one_attendee(monkeypatch):
    import notes_app.share.answer as share_answer
    from notes_app.share.model import Snapshot

    monkeypatch.setattr(share_answer, "default_embedder", lambda: None)
    segs = tuple(_segs(CALL))
    alone = Snapshot("Q2 review", None, ("Sarah",), (), segs)
    assert share_answer.answer_question(alone, ABOUT_SARAH).answer.citations[0].segment == 3
    two = Snapshot("Q2 review", None, ("Sarah", "Tom"), (), segs)
    assert share_answer.answer_question(two, ABOUT_SARAH).answer.citations[0].segment == 0


# The words the other side said in CALL, as a passage of one turn shows them.
DISCOUNT = "I would keep the twenty percent discount on the annual plan, it stays profitable."


def test_passages_call_the_one_attendee_by_name_and_keep_the_segments():
    segs = _segs(CALL)
    (found,) = retrieve_passages(ABOUT_SARAH, segs, k=1, attendees=["Sarah"])
    assert found.text.splitlines() == [
        "You: Next topic is pricing for the annual plan and new customers.",
        f"Sarah: {DISCOUNT}",
        "You: Good, let's go with that.",
    ]
    assert segs[3].speaker == "them"  # only the label shown is hers
    (two,) = retrieve_passages("annual plan discount", segs, k=1, attendees=["Sarah", "Tom"])
    assert two.text.splitlines()[1] == f"Them: {DISCOUNT}"
    (nobody,) = retrieve_passages("annual plan discount", segs, k=1)
    assert nobody.text == two.text


def test_stored_passages_call_the_one_attendee_by_name(repo):
    with_sarah = repo.create_meeting("Q2 review", segments=_segs(CALL), attendees=["Sarah"])
    with_two = repo.create_meeting("Q2 review", segments=_segs(CALL), attendees=["Sarah", "Tom"])

    def first(meeting, question=ABOUT_SARAH, **filters):
        found = retrieve_from_store(
            repo, question, Filters(meeting_id=meeting, **filters), k=1, context=0
        )
        return found[0].text

    assert first(with_sarah) == f"Sarah: {DISCOUNT}"
    assert first(with_sarah, since="2000-01-01") == f"Sarah: {DISCOUNT}"  # through FTS5
    assert first(with_two, "annual plan discount") == f"Them: {DISCOUNT}"
    assert first(with_two, "annual plan discount", since="2000-01-01") == f"Them: {DISCOUNT}"
    assert repo.get_transcript(with_sarah).by_index()[3].speaker == "them"


def test_across_meetings_each_meeting_names_its_own_attendee(repo):
    with_sarah = repo.create_meeting("Q2 review", segments=_segs(CALL), attendees=["Sarah"])
    with_tom = repo.create_meeting("Q3 review", segments=_segs(CALL), attendees=["Tom"])
    with_two = repo.create_meeting("Q4 review", segments=_segs(CALL), attendees=["Sarah", "Tom"])
    found = retrieve_from_store(repo, ABOUT_SARAH, k=6, context=0)
    # Sarah is "them" in her call alone: her turn comes first, by her name.
    assert (found[0].meeting_id, found[0].segment) == (with_sarah, 3)
    assert found[0].text == f"Sarah: {DISCOUNT}"
    # Elsewhere "them" is Tom, or nobody can say who: labelled so, and not weighed as Sarah.
    said = {p.meeting_id: p for p in found if p.segment == 3}
    assert said[with_tom].text == f"Tom: {DISCOUNT}"
    assert said[with_two].text == f"Them: {DISCOUNT}"
    assert found[0].score > said[with_tom].score
    assert repo.attendees_of([with_sarah, with_two, 404]) == {
        with_sarah: ("Sarah",),
        with_two: ("Sarah", "Tom"),
    }


def test_the_share_answer_calls_the_one_attendee_by_name(monkeypatch):
    import notes_app.share.answer as share_answer
    from notes_app.share.model import Snapshot

    monkeypatch.setattr(share_answer, "default_embedder", lambda: None)
    segs = tuple(_segs(CALL))
    alone = Snapshot("Q2 review", None, ("Sarah",), (), segs)
    said = share_answer.answer_question(alone, ABOUT_SARAH).to_dict()["citations"][0]
    assert said["segment"] == 3 and f"Sarah: {DISCOUNT}" in said["quote"].splitlines()
    two = Snapshot("Q2 review", None, ("Sarah", "Tom"), (), segs)
    said = share_answer.answer_question(two, "annual plan discount").to_dict()["citations"][0]
    assert said["segment"] == 3 and f"Them: {DISCOUNT}" in said["quote"].splitlines()
    # The server's model reads the passages as the recipient does: Sarah is who spoke.
    import openai
    from llm_server import Reply, ScriptedLLMServer

    from notes_app.enhance.llm import LLMClient

    with ScriptedLLMServer() as server:
        server.queue(Reply.text("She would keep the twenty percent discount [1]."))
        raw = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        client = LLMClient(raw, model="test-model", max_retries=0)
        answer = share_answer.answer_question(alone, ABOUT_SARAH, llm=client).answer
        prompt = server.chat_requests[0].prompt
    assert answer.mode == "llm" and f"Sarah: {DISCOUNT}" in prompt
