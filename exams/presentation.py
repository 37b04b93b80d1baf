"""The paper as a student sees it, in one place: the fields a student may read (never an answer key), and the
test screen's presentation of them (question blocks, their instructions, the choices, the word limit's wording).
The student serializer and the test page both read the fields from here."""

import re
from itertools import groupby

from django.urls import reverse

from exams.choices import Module, QuestionType

STUDENT_QUESTION_FIELDS = ("id", "number", "type", "prompt", "options", "word_limit", "image", "min_words", "task")
STUDENT_PASSAGE_FIELDS = ("id", "order", "title", "text", "audio", "audio_seconds")

# The fixed choices of the judgement questions, in the order the real test shows them.
FIXED_CHOICES = {
    QuestionType.TRUE_FALSE_NOT_GIVEN: ["TRUE", "FALSE", "NOT GIVEN"],
    QuestionType.YES_NO_NOT_GIVEN: ["YES", "NO", "NOT GIVEN"],
}
TEXT_TYPES = {QuestionType.SENTENCE_COMPLETION, QuestionType.SHORT_ANSWER}
NUMBER_WORDS = ["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE", "TEN"]

INSTRUCTIONS = {
    QuestionType.TRUE_FALSE_NOT_GIVEN: (
        "Do the following statements agree with the information given in the passage? Choose TRUE if the "
        "statement agrees with the information, FALSE if the statement contradicts the information, or NOT GIVEN "
        "if there is no information on this."
    ),
    QuestionType.YES_NO_NOT_GIVEN: (
        "Do the following statements agree with the views of the writer? Choose YES if the statement agrees with "
        "the views of the writer, NO if the statement contradicts the views of the writer, or NOT GIVEN if it is "
        "impossible to say what the writer thinks about this."
    ),
    QuestionType.MULTIPLE_CHOICE: "Choose the correct letter.",
    QuestionType.MATCHING: "Choose the correct letter from the list.",
    QuestionType.SENTENCE_COMPLETION: "Complete the sentences with words from the passage.",
    QuestionType.SHORT_ANSWER: "Answer the questions with words from the passage.",
    QuestionType.ESSAY: "",
}
HEADINGS_INSTRUCTIONS = "Choose the correct heading for each paragraph from the list of headings."
PARAGRAPH_INSTRUCTIONS = "Choose the letter of the paragraph."
ROMAN_NUMERAL = re.compile(r"^[ivxlc]+$")


def question_image_url(question) -> str | None:
    """Where a page or a client fetches a question's image (the protected files view serves it), or None until one is
    uploaded. `question` is a Question or a row of its values."""
    if isinstance(question, dict):
        question_id, image = question["id"], question.get("image")
    else:
        question_id, image = question.pk, question.image
    return f"/api/v1/files/questions/{question_id}/image" if image else None


def word_limit_text(word_limit: int | None) -> str:
    """ "NO MORE THAN TWO WORDS", as the paper says it."""
    if not word_limit:
        return ""
    if word_limit == 1:
        return "ONE WORD ONLY"
    words = NUMBER_WORDS[word_limit] if word_limit < len(NUMBER_WORDS) else str(word_limit)
    return f"NO MORE THAN {words} WORDS"


def option_choice(option: str) -> dict:
    """`"B  timber, wool and salt"` → value `"B"` (what the student answers), label the rest."""
    head, _, rest = option.strip().partition(" ")
    value = head.rstrip(".):")
    return {"value": value or option.strip(), "letter": value, "label": rest.strip() or option.strip()}


def question_view(question: dict) -> dict:
    qtype = question["type"]
    if qtype in FIXED_CHOICES:
        choices = [{"value": v, "letter": "", "label": v} for v in FIXED_CHOICES[qtype]]
    elif qtype not in TEXT_TYPES and question["options"]:
        choices = [option_choice(str(option)) for option in question["options"]]
    else:
        choices = []
    return {
        **question,
        "image": question_image_url(question),
        "choices": choices,
        "word_limit_text": word_limit_text(question["word_limit"]),
    }


def block_view(questions: list[dict]) -> dict:
    """One block of questions ("Questions 14–18"). A run of matching questions on one list (headings, paragraph
    letters) shows that list once, above the run, as the real paper does; each question then only picks from it."""
    qtype, choices = questions[0]["type"], questions[0]["choices"]
    headings = qtype == QuestionType.MATCHING and all(ROMAN_NUMERAL.match(c["value"]) for c in choices)
    shared = qtype == QuestionType.MATCHING and len(questions) > 1
    # "A  Paragraph A": the letters say it all (the questions name the paragraphs), so no list is printed for them.
    only_letters = all(c["label"] == f"Paragraph {c['letter']}" for c in choices)
    return {
        "type": qtype,
        "first": questions[0]["number"],
        "last": questions[-1]["number"],
        "instructions": HEADINGS_INSTRUCTIONS
        if headings
        else PARAGRAPH_INSTRUCTIONS
        if shared and only_letters
        else INSTRUCTIONS.get(qtype, ""),
        "shared_choices": choices if shared else [],
        "shared_list_shown": shared and not only_letters,
        "shared_choices_title": ("List of headings" if headings else "List of options") if shared else "",
        "questions": questions,
    }


def block_key(question: dict):
    """Questions of one type go in one block; matching questions only while they share their list."""
    if question["type"] == QuestionType.MATCHING:
        return (question["type"], tuple(question["options"]))
    return (question["type"],)


def passage_audio_url(passage) -> str | None:
    """Where a part's recording is served (to those who may hear it: sessions_app.file_views), or None before it is
    uploaded. `passage` is a Passage or a dict of its `id` and `audio` (the stored name)."""
    if isinstance(passage, dict):
        passage_id, name = passage["id"], passage["audio"]
    else:
        passage_id, name = passage.pk, passage.audio.name
    return reverse("passage-audio", args=[passage_id]) if name else None


def student_passage(passage: dict, module: str) -> dict:
    """A passage's fields as a student reads them: a Listening part's text is its transcript, never shown."""
    return {**passage, "audio": passage_audio_url(passage),
            "text": None if module == Module.LISTENING else passage["text"]}  # fmt: skip


def student_paper(test, passage_orders=None) -> list[dict]:
    """The paper's passages in order (those of `passage_orders` only, when given), each with its questions grouped
    into blocks of one type ("Questions 1–3")."""
    passages = test.passages.order_by("order", "id")
    if passage_orders:
        passages = passages.filter(order__in=passage_orders)
    return paper_view(
        [student_passage(p, test.module) for p in passages.values(*STUDENT_PASSAGE_FIELDS)],
        list(test.questions.order_by("number").values(*STUDENT_QUESTION_FIELDS, "passage_id")),
    )


def paper_view(passages: list[dict], questions: list[dict]) -> list[dict]:
    """The test screen's view of passages (in order) and their questions (by number, each naming its
    `passage_id`), stored or not: the paper editor's preview shows a paper before it is saved."""
    questions = [question_view(q) for q in questions]
    views = []
    for index, passage in enumerate(passages):
        own = [q for q in questions if q["passage_id"] == passage["id"]]
        for q in own:
            q["passage_index"] = index
        blocks = [block_view(list(block)) for _, block in groupby(own, key=block_key)]
        views.append(
            {
                **passage,
                "index": index,
                "questions": own,
                "blocks": blocks,
                "first_number": own[0]["number"] if own else None,
                # A Writing part: its one essay (the page shows the task beside a text box, not a passage).
                "essay": next((q for q in own if q["type"] == QuestionType.ESSAY), None),
                "last_number": own[-1]["number"] if own else None,
            }
        )
    return views
