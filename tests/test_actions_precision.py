"""Action items on long, many-party meetings: only what reads like a task, owned by the right
person. The snippets are shaped like the ELITR meeting transcripts (named speakers, fillers,
sentences that trail off)."""

from __future__ import annotations

from notes_app.domain import ME, THEM, Segment, Transcript
from notes_app.enhance.action_wording import says_enough, trim_task
from notes_app.enhance.actions import MAX_ACTION_ITEMS, find_action_items


def _call(*lines):
    segs = (Segment(i, i * 5.0, i * 5.0 + 4.0, text, who) for i, (who, text) in enumerate(lines))
    return Transcript(tuple(segs), "en")


def _items(*lines):
    return [(f.owner, f.text) for f in find_action_items(_call(*lines))]


def test_dangling_end_and_fillers_are_trimmed_and_the_due_phrase_kept():
    (item,) = find_action_items(
        _call(
            (
                "PERSON12",
                "So, uh, [PERSON7] please prepare for, uh, for the, uh, Wednesday call with, uh, "
                "like, uh, other",
            ),
        )
    )
    assert item.text == "PERSON7: prepare for the Wednesday call"
    assert item.due == "Wednesday"


def test_a_clause_that_runs_on_is_cut_where_the_new_thought_starts():
    assert trim_task("add to complimentary metric actually it is more") == (
        "add to complimentary metric"
    )
    assert trim_task("find another person as well if I find then you wouldn't have to") == (
        "find another person"
    )
    assert trim_task("make the website ready within one or two hours, and let you know") == (
        "make the website ready within one or two hours"
    )
    assert trim_task("do, open, make open access to the shared docs") == (
        "make open access to the shared docs"
    )


def test_a_task_needs_an_object_of_two_content_words():
    assert not says_enough("add it to my calendar")
    assert not says_enough("get quickly to the project")
    assert not says_enough("do and [PERSON13]")
    assert says_enough("create a conversion from the tables into HTML")
    assert (
        _items(
            (
                "PERSON5",
                "So, uh, so please include me with the mail so I can add it to my calendar.",
            ),
            ("PERSON5", "Yeah sure, I'll I'll do and [PERSON13]."),
            (
                "PERSON13",
                "So after a month when I get time I think I can get quickly to the project.",
            ),
        )
        == []
    )


def test_a_person_to_contact_is_object_enough_but_an_announcement_is_not():
    assert _items(("PERSON1", "And also, uh I will also ask [PERSON5] about the contract.")) == [
        ("PERSON1", "PERSON1: ask [PERSON5] about the contract")
    ]
    assert _items(("PERSON5", "I will also ask you [PERSON4] and [PERSON2].")) == []


def test_a_request_belongs_to_the_person_addressed_in_it():
    assert _items(
        ("PERSON12", "So, [PERSON7] could you get us, uh, also some of the delay scores?"),
        ("PERSON13", "Okay."),
    ) == [("PERSON7", "PERSON7: get us some of the delay scores")]


def test_a_name_will_clause_owns_the_task_and_let_me_is_done_in_the_call():
    assert _items(
        ("PERSON12", "Yeah, uh, so let me let me take a record here, so, uh, [PERSON7] will "
         "prepare the reference lists."),
        ("PERSON12", "Uh, let me check [PROJECT2]"),
        ("PERSON12", "It will take a while to finish the review."),
    ) == [("PERSON7", "PERSON7: prepare the reference lists")]  # fmt: skip


def test_let_me_with_a_time_is_a_follow_up():
    assert _items(("Dana", "Let me check the budget numbers by Friday.")) == [
        ("Dana", "Dana: check the budget numbers by Friday")
    ]


def test_the_speaker_who_accepts_a_request_owns_it():
    assert (
        _items(
            ("PERSON12", "Then also, please create a conversion from the tables into HTML."),
            ("PERSON13", "Hm, the tables are big."),
            ("PERSON7", "Yes, sure."),
        )[0][0]
        == "PERSON7"
    )


def test_an_unanswered_request_goes_to_whom_the_asker_was_talking_to_or_about():
    assert _items(
        ("PERSON12", "So as soon as [PERSON7] has these evaluations cleaned up."),
        ("PERSON12", "Then also, please create a conversion from the tables into HTML."),
    ) == [("PERSON7", "PERSON7: create a conversion from the tables into HTML")]
    assert (
        _items(
            ("PERSON14", "And it will emit time stamps for a two second window."),
            ("PERSON12", "Please write this down here in the document, this briefing summary."),
        )[0][0]
        == "PERSON14"
    )


def test_two_sided_calls_keep_you_and_them():
    assert _items((ME, "Could you send the pricing proposal to the team by Friday?")) == [
        ("Them", "Them: send the pricing proposal to the team by Friday")
    ]
    assert [o for o, _ in _items((THEM, "Please send the revised slides to the board."))] == ["You"]


def test_we_needs_a_deliverable_or_a_time():
    assert _items(
        ("PERSON4", "So we should make it simpler."),
        ("PERSON12", "So we need , we need to make sure it is stored."),
        ("PERSON12", "We should add, uh, to complimentary metric, uh, actually it is more."),
        ("PERSON12", "So we will, uh, talk about this at the latest next Wednesday with partners."),
        ("PERSON4", "We'll do this uh, t- uh test- uh, test on one document."),
    ) == [
        ("We", "We: talk about this at the latest next Wednesday with partners"),
        ("We", "We: do this test on one document"),
    ]


def test_long_meetings_keep_the_most_concrete_items_in_meeting_order():
    plain = [
        ("PERSON1", f"We should {task}.")
        for task in (
            "update the slides for the keynote",
            "review the budget spreadsheet",
            "circulate the agenda to partners",
            "book the venue in Vienna",
            "draft the abstract of the paper",
            "finish the annotator survey",
            "forward the catering invoice",
            "sign the consortium contract",
            "publish the workshop website",
            "upload the speech dataset",
        )
    ]
    dated = [("PERSON2", "I will send the reference lists to the partners by Friday.")]
    items = find_action_items(_call(*plain, *dated))
    assert len(items) == MAX_ACTION_ITEMS
    assert items[-1].due == "by Friday"
    assert [f.segment for f in items] == sorted(f.segment for f in items)


def test_a_question_for_information_and_an_offer_are_not_tasks():
    items = _items(
        (THEM, "Okay. What kind of discount can you do on a two year term?"),
        (ME, "For two years I can do twelve percent off the list price."),
        (ME, "I will send the revised quote with ninety seats by Friday."),
    )
    assert items == [("You", "You: send the revised quote with ninety seats by Friday")]


def test_a_request_asked_as_a_question_is_still_a_task():
    items = _items((ME, "Can you share the security questionnaire with our legal team?"))
    assert [owner for owner, _ in items] == ["Them"]
