"""How the test screen groups questions into blocks: a run of matching questions on one list shares it."""

from itertools import groupby

from exams.presentation import (
    HEADINGS_INSTRUCTIONS,
    INSTRUCTIONS,
    PARAGRAPH_INSTRUCTIONS,
    block_key,
    block_view,
    question_view,
)

HEADINGS = ["i  A slow start", "ii  An unexpected result", "iii  What comes next"]
PARAGRAPHS = ["A  Paragraph A", "B  Paragraph B"]


def question(number, qtype, options=()):
    return question_view(
        {"id": number, "number": number, "type": qtype, "prompt": "", "options": list(options), "word_limit": None}
    )


def blocks_of(questions):
    return [block_view(list(run)) for _, run in groupby(questions, key=block_key)]


def test_a_run_of_matching_headings_is_one_block_under_one_list_of_headings():
    blocks = blocks_of(
        [question(1, "MATCHING", PARAGRAPHS), question(2, "MATCHING", PARAGRAPHS)]
        + [question(n, "MATCHING", HEADINGS) for n in (3, 4, 5)]
        + [question(6, "MULTIPLE_CHOICE", ["A  one", "B  two"])]
    )
    assert [(b["first"], b["last"]) for b in blocks] == [(1, 2), (3, 5), (6, 6)]
    letters, headings, choice = blocks
    assert headings["instructions"] == HEADINGS_INSTRUCTIONS
    assert headings["shared_choices_title"] == "List of headings"
    assert [c["value"] for c in headings["shared_choices"]] == ["i", "ii", "iii"]
    assert headings["shared_list_shown"]
    # Paragraph letters need no printed list: each question picks a letter, and the instruction says so.
    assert letters["instructions"] == PARAGRAPH_INSTRUCTIONS and not letters["shared_list_shown"]
    assert [c["value"] for c in letters["shared_choices"]] == ["A", "B"]
    assert choice["shared_choices"] == [] and choice["instructions"] == "Choose the correct letter."


def test_a_single_matching_question_keeps_its_choices_under_it():
    (headings,) = blocks_of([question(1, "MATCHING", HEADINGS)])
    assert headings["shared_choices"] == [] and headings["instructions"] == HEADINGS_INSTRUCTIONS
    (letters,) = blocks_of([question(1, "MATCHING", PARAGRAPHS)])
    assert letters["shared_choices"] == [] and letters["instructions"] == INSTRUCTIONS["MATCHING"]
