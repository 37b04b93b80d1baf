"""The paper editor: a teacher's papers, a new one, an edit of one, and a preview of the form as a student would
see the paper. Writes go through exams.services (test_create, test_edit); a teacher sees only their own papers
(an admin every paper), anything else is a 404."""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exams.models import Test
from exams.presentation import STUDENT_QUESTION_FIELDS, paper_view
from exams.selectors import paper_in_use, paper_is_owned_by, papers_owned_by
from exams.services import test_create, test_edit
from ielts_site.errors import ApplicationError
from monitoring.access import staff_required
from monitoring.paper_forms import PaperEditor


def _owned_paper(user, paper_id) -> Test:
    """The latest version of the paper `paper_id` (its public id), if the user owns it; else a 404."""
    test = get_object_or_404(Test.objects.of_paper(paper_id).latest_versions())
    if not paper_is_owned_by(test, user):
        raise Http404("No such paper.")
    return test


def _render_editor(request, editor: PaperEditor, *, test: Test | None = None, status: int = 200):
    context = {
        "editor": editor,
        "blank_passage": PaperEditor.blank_passage(),
        "test": test,
        "makes_new_version": test is not None and paper_in_use(test),
    }
    return render(request, "teacher/paper_edit.html", context, status=status)


def _refused(request, editor: PaperEditor, error: ApplicationError, *, test: Test | None = None):
    messages.error(request, error.detail)
    return _render_editor(request, editor, test=test, status=error.status_code)


@require_GET
@staff_required
def paper_list(request):
    """The papers the teacher owns (an admin: every paper), each at its latest version."""
    papers = papers_owned_by(request.user).latest_versions().annotate(questions_total=Count("questions"))
    return render(request, "teacher/paper_list.html", {"papers": papers.order_by("title", "id")})


@require_http_methods(["GET", "POST"])
@staff_required
def paper_new(request):
    """A blank paper; saved through test_create with the teacher as its author."""
    if request.method == "GET":
        return _render_editor(request, PaperEditor.blank())
    editor = PaperEditor(request.POST)
    if not editor.is_valid():
        return _render_editor(request, editor, status=400)
    try:
        test = test_create(**editor.paper_arguments(), created_by=request.user)
    except ApplicationError as error:
        return _refused(request, editor, error)
    messages.success(request, f"“{test.title}” saved.")
    return redirect("teacher-paper-edit", paper_id=test.paper_id)


@require_http_methods(["GET", "POST"])
@staff_required
def paper_edit(request, paper_id):
    """The paper's latest version in the editor; saved through test_edit, which makes a new version when a
    session has already started on this one (the paper's own band table is kept)."""
    test = _owned_paper(request.user, paper_id)
    if request.method == "GET":
        return _render_editor(request, PaperEditor.for_paper(test), test=test)
    editor = PaperEditor(request.POST)
    if not editor.is_valid():
        return _render_editor(request, editor, test=test, status=400)
    try:
        saved = test_edit(test=test, by=request.user, band_table=test.band_table, **editor.paper_arguments())
    except ApplicationError as error:
        return _refused(request, editor, error, test=test)
    if saved.version != test.version:
        messages.success(request, f"“{saved.title}” saved as version {saved.version}.")
    else:
        messages.success(request, f"“{saved.title}” saved.")
    return redirect("teacher-paper-edit", paper_id=saved.paper_id)


@require_POST
@staff_required
def paper_preview(request):
    """The editor's form as the student's test screen shows it, without saving and without keys; the form's
    problems instead when it is not a paper yet."""
    editor = PaperEditor(request.POST)
    if not editor.is_valid():
        return render(request, "teacher/paper_preview.html", {"problems": editor.errors}, status=400)
    paper = editor.paper_arguments()
    passages, questions = [], []
    for order, passage in enumerate(paper["passages"]):
        passages.append({"id": order, "order": order, "title": passage["title"], "text": passage["text"]})
        for question in passage["questions"]:
            # Unsaved rows have no ids: the number stands in, as unique in the paper.
            shown = {**question, "id": question["number"]}
            questions.append({**{field: shown.get(field) for field in STUDENT_QUESTION_FIELDS}, "passage_id": order})
    context = {"paper": paper, "passages": paper_view(passages, questions)}
    return render(request, "teacher/paper_preview.html", context)
