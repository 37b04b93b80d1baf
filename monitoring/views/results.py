"""A completed session's results: the page (figures, SVG charts, the item analysis, a row per student, violations
by type, those a teacher confirmed beside them) and the same rows as a CSV for a spreadsheet. Before completion the
page says so and the CSV is a 409."""

import math

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from exams.choices import QuestionType
from ielts_site.errors import ApplicationError
from monitoring.access import staff_required, visible_session
from monitoring.charts import (
    band_distribution_svg,
    discrimination_level,
    discrimination_svg,
    evidence_svg,
    facility_level,
    facility_svg,
    heat_strip_svg,
    percent,
    type_facility_svg,
)
from monitoring.csv_export import csv_response
from monitoring.item_analysis import half_band_lifts, passage_runs
from monitoring.selectors import session_answer_sheet, session_results, violations_by_type
from sessions_app.analysis import passage_highlight_heat, session_analysis
from sessions_app.models import SessionStatus
from sessions_app.services import session_release_results

CSV_COLUMNS = [
    ("student_id", "Student ID"),
    ("username", "Username"),
    ("student_name", "Name"),
    ("status_label", "Attempt status"),
    ("answered", "Answered"),
    ("correct", "Correct"),
    ("score", "Score"),
    ("out_of", "Out of"),
    ("band", "Band"),
    ("violations", "Violations"),
    ("violations_confirmed", "Confirmed violations"),
    ("extra_seconds", "Extra time (s)"),
    ("offline_seconds", "Time away (s)"),
    ("highlights", "Highlights"),
    ("submitted_at", "Submitted"),
]
# What the status column says of a student who never started the test.
NO_ATTEMPT = "Absent"
HEAT_LEVELS = 5  # shades of the class highlight heatmap, from "one student" to "all of them"


def duration_text(seconds: int) -> str:
    """Seconds as people say them: "45 s", "5 min", "2 min 30 s", "1 h 5 min" (a minus sign when negative)."""
    sign = "−" if seconds < 0 else ""
    hours, rest = divmod(abs(int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((hours, "h"), (minutes, "min"), (secs, "s")) if n]
    return sign + (" ".join(parts[:2]) or "0 s")


@require_GET
@staff_required
def results(request, session_id):
    """The results page: figures, band and facility charts, a row per student with a link to their timeline."""
    session = visible_session(request.user, session_id)
    context = {"session": session, "school_class": session.school_class}
    if session.status != SessionStatus.COMPLETED:
        return render(request, "teacher/results.html", context)
    data = session_results(session)
    for question in data["questions"]:
        question["percent"] = round(float(question["facility"]) * 100)
        question["level"] = facility_level(float(question["facility"]))
    for student in data["students"]:
        extra = student.get("extra_seconds") or 0
        student["extra_text"] = ("+" if extra > 0 else "") + duration_text(extra)
        student["offline_text"] = duration_text(student.get("offline_seconds") or 0)
    analysis = session_analysis(session)
    context.update(
        data,
        violations_confirmed_total=sum(s.get("violations_confirmed") or 0 for s in data["students"]),
        band_chart=band_distribution_svg(
            (s["band"] for s in data["students"] if s["band"] is not None), target_band=analysis["target_band"]
        ),
        facility_chart=facility_svg(data["questions"]),
        **_item_analysis_context(session, analysis),
        violations_by_type={
            label: {**n, "away_text": duration_text(n["away_seconds"]) if n["away_seconds"] is not None else ""}
            for label, n in violations_by_type(session).items()
        },
    )
    return render(request, "teacher/results.html", context)


def _item_analysis_context(session, analysis: dict) -> dict:
    """The item analysis as the page draws it: the charts, a row per question, the passages with the class's
    highlights and the evidence, and each student's half-band advice."""
    labels = dict(QuestionType.choices)
    questions = analysis["questions"]
    for question in questions:
        question.update(
            type_label=labels.get(question["type"], question["type"]),
            facility_text=percent(question["facility"]),
            level=facility_level(question["facility"] or 0),
            discrimination_level=discrimination_level(question["discrimination"]),
            median_text=duration_text(round(question["median_seconds_to_first_answer"]))
            if question["median_seconds_to_first_answer"] is not None
            else "–",
        )
    for row in analysis["types"]:
        row["type_label"] = labels.get(row["type"], row["type"])
    lifts = half_band_lifts(analysis, module=session.test.module, band_table=session.test.band_table)
    for student in analysis["students"]:
        student["lift"] = lifts.get(student["attempt_id"])
    heat = passage_highlight_heat(session)
    n = analysis["attempts"]
    passages = []
    for passage in session.paper_passages():
        own = [q for q in questions if q["evidence"] and q["evidence"]["passage_id"] == passage.pk]
        spans = [(q["number"], q["evidence"]["position_start"], q["evidence"]["position_end"]) for q in own]
        runs = passage_runs(passage.text, heat.get(passage.pk, []), spans)
        passages.append(
            {
                "passage": passage,
                "runs": [
                    {"run": run, "level": math.ceil(run.students / n * HEAT_LEVELS) if n and run.students else 0}
                    for run in runs
                ],
                "evidence_questions": own,
            }
        )
    return {
        "analysis": analysis,
        "discrimination_chart": discrimination_svg(questions),
        "type_chart": type_facility_svg(analysis["types"], labels),
        "heat_strip": heat_strip_svg(analysis["students"], questions),
        "evidence_chart": evidence_svg(questions) if any(q["evidence"] for q in questions) else None,
        "passages": passages,
    }


@require_POST
@staff_required
def results_release(request, session_id):
    """The teacher shows the students of a completed session their results (a session released by hand)."""
    session = visible_session(request.user, session_id)
    try:
        session_release_results(session=session, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "The results are released: each student sees theirs now.")
    return redirect("teacher-results", session_id=session.pk)


def _answer_cells(sheet: dict, attempt_id, *, marked: bool) -> list:
    """Each question's answer and mark (1 or 0, once the attempt is marked) for one student's row."""
    answers = sheet["answers"].get(attempt_id, {})
    cells = []
    for question in sheet["questions"]:
        answer = answers.get(question.pk)
        mark = int(question.is_correct(answer)) if marked and not question.is_essay else None
        cells += [answer, mark]
    return cells


@require_GET
@staff_required
def results_csv(request, session_id):
    """The students' rows as a UTF-8 CSV (with a BOM, so spreadsheets read the accents), one row per student."""
    session = visible_session(request.user, session_id)
    if session.status != SessionStatus.COMPLETED:
        return HttpResponse(
            "Results can be exported once the session is completed.\n",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    data = session_results(session)
    sheet = session_answer_sheet(session)
    rows = [
        [label for _, label in CSV_COLUMNS]
        + [label for q in sheet["questions"] for label in (f"Q{q.number} answer", f"Q{q.number} mark")]
        + [f"Task {task} band" for task in data["writing_tasks"]]
    ]
    for student in data["students"]:
        attempt_id = student.get("attempt_id")
        submitted_at = sheet["submitted_at"].get(attempt_id)
        row = {
            **student,
            "status_label": student["status_label"] or NO_ATTEMPT,
            "out_of": data["question_count"],
            "submitted_at": timezone.localtime(submitted_at).isoformat(timespec="seconds") if submitted_at else None,
        }
        if row.get("band") is not None:
            row["band"] = f"{float(row['band']):.1f}"
        rows.append(
            [row.get(key) for key, _ in CSV_COLUMNS]
            + _answer_cells(sheet, attempt_id, marked=student.get("score") is not None)
            + [student["task_bands"].get(task) for task in data["writing_tasks"]]
        )
    return csv_response(rows, filename=f"session-{session.pk}-{slugify(session.title)[:60] or 'results'}-results.csv")
