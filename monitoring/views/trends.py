"""A class's trends across its sessions and practices, for its teachers: the class's page, one student's, and the CSV
of every student's every sitting."""

from django.http import Http404
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from exams.choices import QuestionType
from monitoring.access import staff_required, visible_class
from monitoring.csv_export import csv_response
from monitoring.trend_charts import band_trend_svg, type_facility_trend_svg, violations_trend_svg
from monitoring.trends import class_trends

TYPE_LABELS = dict(QuestionType.choices)


def _percent(value) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


@require_GET
@staff_required
def trends(request, class_id):
    school_class = visible_class(request.user, class_id)
    data = class_trends(school_class)
    sittings = sorted([*data.sessions, *data.practice], key=lambda sitting: sitting.at)
    sessions = data.sessions
    rows = [
        {
            "sitting": s,
            "taken": len(s.results),
            "mean_band": s.mean_band,
            "mean_score": _percent(s.mean_score_share),
            "facilities": [_percent(s.facility(kind)) for kind in data.types],
        }
        for s in sessions
    ]
    students = []
    for student in data.students:
        taken = data.of_student(student.pk)
        bands = [s.results[student.pk].band for s in taken if s.results[student.pk].band is not None]
        students.append({"student": student, "sittings": len(taken), "latest": bands[-1] if bands else None,
                         "first": bands[0] if bands else None})  # fmt: skip
    return render(
        request,
        "teacher/trends.html",
        {
            "school_class": school_class, "rows": rows, "students": students,
            "type_labels": [TYPE_LABELS[kind] for kind in data.types], "practice_count": len(data.practice),
            "band_chart": band_trend_svg(sittings) if sittings else None,
            "type_chart": type_facility_trend_svg(sessions, data.types, TYPE_LABELS) if sessions else None,
            "violation_chart": violations_trend_svg(sessions) if sessions else None,
        },
    )  # fmt: skip


@require_GET
@staff_required
def student_trends(request, class_id, student_id):
    school_class = visible_class(request.user, class_id)
    data = class_trends(school_class)
    student = next((each for each in data.students if each.pk == student_id), None)
    if student is None:
        raise Http404("No such student in this class.")
    taken = data.of_student(student.pk)
    rows = []
    for sitting in taken:
        result = sitting.results[student.pk]
        by_type = [
            (TYPE_LABELS[kind], f"{got}/{out_of}") for kind, (got, out_of) in sorted(result.by_type.items())
        ]  # fmt: skip
        rows.append({"sitting": sitting, "result": result, "by_type": by_type})
    sessions = [s for s in data.sessions if student.pk in s.results]
    return render(
        request,
        "teacher/student_trends.html",
        {
            "school_class": school_class, "student": student, "rows": rows,
            "band_chart": (
                band_trend_svg(taken, student_id=student.pk, chart_id="student-band-trend") if taken else None
            ),
            "violation_chart": (
                violations_trend_svg(sessions, student_id=student.pk, chart_id="student-violation-trend")
                if sessions else None
            ),
        },
    )  # fmt: skip


@require_GET
@staff_required
def trends_csv(request, class_id):
    """One row per student per sitting (sessions and practice attempts, oldest first), with the marks per type."""
    school_class = visible_class(request.user, class_id)
    data = class_trends(school_class)
    types = data.types
    header = ["Kind", "Sitting", "Date", "Username", "Student", "Score", "Out of", "Band", "Violations"]
    header += [f"{TYPE_LABELS[kind]} correct" for kind in types]
    rows = [header]
    for student in data.students:
        for sitting in data.of_student(student.pk):
            result = sitting.results[student.pk]
            band = f"{result.band:.1f}" if result.band is not None else None
            rows.append(
                [sitting.kind, sitting.title, sitting.at.date().isoformat(), student.username, student.display_name,
                 result.score, result.questions, band, result.violations]
                + [_marks(result.by_type.get(kind)) for kind in types]
            )  # fmt: skip
    return csv_response(
        rows, filename=f"class-{school_class.pk}-{slugify(school_class.name)[:60] or 'class'}-trends.csv"
    )


def _marks(counts) -> str | None:
    return f"{counts[0]}/{counts[1]}" if counts else None
