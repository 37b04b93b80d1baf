"""The student's pages: "My sessions" and the test page (waiting room → test → finished).

The paper is rendered on the server so the page keeps working offline once loaded, but only while
the student has an attempt in a session in progress (as GET /api/v1/tests/{id}): the waiting room
does not carry it, and the page fetches itself again when the test starts. Questions are read
field by field: the answer keys never leave the database on this path.
"""

from itertools import groupby

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse

from accounts.pages import staff_home_url
from attempts.models import Attempt, AttemptStatus
from attempts.selectors import attempt_body
from exams.models import QuestionType
from ielts_site.clock import iso, now
from sessions_app.models import SessionStatus
from sessions_app.selectors import sessions_visible_to

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
}



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
    return {**question, "choices": choices, "word_limit_text": word_limit_text(question["word_limit"])}


def student_paper(test) -> list[dict]:
    """Passages in order, each with its questions grouped into blocks of one type ("Questions 1–3")."""
    questions = [
        question_view(q)
        for q in test.questions.order_by("number").values(
            "id", "number", "type", "prompt", "options", "word_limit", "passage_id"
        )
    ]
    passages = []
    for index, passage in enumerate(test.passages.order_by("order", "id").values("id", "title", "text")):
        own = [q for q in questions if q["passage_id"] == passage["id"]]
        for q in own:
            q["passage_index"] = index
        blocks = []
        for qtype, block in groupby(own, key=lambda q: q["type"]):
            block = list(block)
            blocks.append(
                {
                    "type": qtype,
                    "first": block[0]["number"],
                    "last": block[-1]["number"],
                    "instructions": INSTRUCTIONS.get(qtype, ""),
                    "questions": block,
                }
            )
        passages.append(
            {
                **passage,
                "index": index,
                "questions": own,
                "blocks": blocks,
                "first_number": own[0]["number"] if own else None,
                "last_number": own[-1]["number"] if own else None,
            }
        )
    return passages


def page_config(*, session, user, passages, attempt) -> dict:
    """What the page's JavaScript needs (the json_script tag): ids, numbers, types, texts and the clock."""
    return {
        "session_id": session.pk,
        "user_id": user.pk,
        "username": user.username,
        "status": session.status,
        "ends_at": iso(session.ends_at),
        "server_now": iso(now()),
        "seconds_per_minute": settings.IELTS_SECONDS_PER_MINUTE,
        "ws_path": f"/api/v1/sessions/{session.pk}/ws",
        "session_api": f"/api/v1/sessions/{session.pk}",
        "attempt_api": "/api/v1/attempts/",
        "my_sessions_url": reverse("student-sessions"),
        "paper_loaded": bool(passages),
        "passages": [{"id": p["id"], "index": p["index"], "title": p["title"], "text": p["text"]} for p in passages],
        "questions": [
            {
                "id": q["id"],
                "number": q["number"],
                "type": q["type"],
                "passage_id": q["passage_id"],
                "passage_index": q["passage_index"],
                "word_limit": q["word_limit"],
            }
            for p in passages
            for q in p["questions"]
        ],
        "attempt": attempt_body(attempt) if attempt else None,
    }


@login_required
def my_sessions(request):
    """Upcoming, open and finished sessions of the student, straight from the database."""
    if not request.user.is_student:
        return redirect(staff_home_url())
    sessions = list(sessions_visible_to(request.user).order_by("scheduled_at", "id"))
    attempts = {a.session_id: a for a in Attempt.objects.filter(student=request.user, session__in=sessions)}
    rows = [{"session": s, "attempt": attempts.get(s.pk)} for s in sessions]
    return render(
        request,
        "student/my_sessions.html",
        {
            "open_rows": [r for r in rows if r["session"].status in SessionStatus.OPEN],
            "upcoming_rows": [r for r in rows if r["session"].status == SessionStatus.SCHEDULED],
            "finished_rows": [r for r in reversed(rows) if r["session"].status in SessionStatus.FINISHED],
        },
    )


@login_required
def test_page(request, session_id: int):
    """The waiting room that becomes the test the moment the teacher starts, then the finished screen."""
    if not request.user.is_student:
        try:
            return redirect(reverse("teacher-live", args=[session_id]))
        except NoReverseMatch:
            return redirect(staff_home_url())
    session = get_object_or_404(sessions_visible_to(request.user).select_related("test"), pk=session_id)
    attempt = Attempt.objects.filter(session=session, student=request.user).first()
    show_paper = (
        session.status == SessionStatus.IN_PROGRESS
        and attempt is not None
        and attempt.status == AttemptStatus.IN_PROGRESS
    )
    passages = student_paper(session.test) if show_paper else []
    finished = session.status in SessionStatus.FINISHED or (
        attempt is not None and attempt.status != AttemptStatus.IN_PROGRESS
    )
    return render(
        request,
        "student/test.html",
        {
            "session": session,
            "attempt": attempt,
            "finished": finished,
            "show_paper": show_paper,
            "passages": passages,
            "question_count": session.test.questions.count(),
            "config": page_config(session=session, user=request.user, passages=passages, attempt=attempt),
        },
    )
