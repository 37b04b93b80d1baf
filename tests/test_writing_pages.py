"""Writing on the pages, without a browser: the student's two panes (the task, a text box without spell check and
its word count), the monitor's tasks, the marking page (it marks through the service) and the results' CSV."""

import codecs
import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from attempts.models import WritingMark
from attempts.services import attempt_answer, attempt_submit
from attempts.writing import attempt_mark_writing
from exams.services import test_create
from sessions_app.services import session_complete
from tests.writing_support import start_writing_session, writing_paper_data

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def writing_session(teacher, school_class, students, connect_student):
    paper = test_create(**writing_paper_data(), created_by=teacher)
    return start_writing_session(
        paper=paper, school_class=school_class, teacher=teacher, students=students[:2],
        connect_student=connect_student,
    )  # fmt: skip


def _essays(session):
    return session.test.questions.get(task=1), session.test.questions.get(task=2)


def test_the_student_sees_the_task_beside_a_box_without_spell_check(writing_session, students):
    task1, task2 = _essays(writing_session)
    content = client_for(students[0]).get(reverse("student-test", args=[writing_session.pk])).content.decode()
    assert 'class="passage-pane writing-task"' in content and "Writing Task 1" in content
    assert f'<textarea id="answer-{task1.pk}" class="essay-answer"' in content
    assert content.count('spellcheck="false"') >= 2 and 'data-min-words="250"' in content
    assert "0 words · at least 150" in content and "Task 2" in content
    assert "Highlight selection" not in content  # a task is not a passage to highlight
    assert task2.prompt in content


def test_the_monitor_knows_the_tasks(writing_session, teacher):
    content = client_for(teacher).get(reverse("teacher-live", args=[writing_session.pk])).content.decode()
    start = content.index(">", content.index('id="live-config"')) + 1
    config = json.loads(content[start : content.index("</script>", start)])
    task1, task2 = _essays(writing_session)
    assert config["essays"] == [{"id": task1.pk, "task": 1, "min_words": 150}, {"id": task2.pk, "task": 2,
                                                                              "min_words": 250}]  # fmt: skip
    assert 'id="writing-link"' in content


def test_the_marking_page_marks_through_the_service(writing_session, teacher, students, make_user):
    task1, task2 = _essays(writing_session)
    attempt = writing_session.attempts.get(student=students[0])
    attempt_answer(attempt=attempt, question_id=task1.pk, answer="Visitors to the museums rose sharply.")
    url = reverse("teacher-writing", args=[writing_session.pk])
    page = client_for(teacher).get(url).content.decode()
    assert "Still writing" in page and "Visitors to the museums rose sharply." in page and "6 words" in page
    attempt_submit(attempt=attempt)
    page = client_for(teacher).get(url).content.decode()
    assert 'name="GRA"' in page and "2 tasks to mark" in page
    marks = {"attempt_id": attempt.pk, "question_id": task1.pk, "TA": "6", "CC": "6", "LR": "6", "GRA": "7",
             "comment": "A clear overview."}  # fmt: skip
    response = client_for(teacher).post(url, marks)
    assert response.status_code == 302 and response["Location"].endswith(f"#student-{students[0].pk}")
    mark = WritingMark.objects.get(attempt=attempt, question=task1)
    assert (mark.criteria, float(mark.band), mark.comment, mark.marked_by) == (
        {"TA": 6, "CC": 6, "LR": 6, "GRA": 7}, 6.0, "A clear overview.", teacher,
    )  # fmt: skip
    client_for(teacher).post(url, {**marks, "question_id": task2.pk, "TA": "6", "CC": "7", "LR": "7", "GRA": "7"})
    page = client_for(teacher).get(url).content.decode()
    assert "Writing band <strong>6.5</strong>" in page and "Band <strong>6.0</strong>" in page
    # A criterion out of range changes nothing and says why.
    response = client_for(teacher).post(url, {**marks, "TA": "10"}, follow=True)
    assert "TA must be a whole band" in response.content.decode()
    assert float(WritingMark.objects.get(attempt=attempt, question=task1).band) == 6.0
    # Another teacher does not see the session.
    other = make_user("TEACHER", username="other")
    assert client_for(other).get(url).status_code == 404
    assert client_for(other).post(url, marks).status_code == 404
    assert client_for(students[0]).get(url).status_code == 403


def test_results_and_csv_carry_the_writing_bands(writing_session, teacher, students):
    task1, task2 = _essays(writing_session)
    attempt = writing_session.attempts.get(student=students[0])
    attempt_answer(attempt=attempt, question_id=task2.pk, answer="Museums should be free.")
    session_complete(session=writing_session)
    for question, band in ((task1, 7), (task2, 6)):
        attempt_mark_writing(attempt=attempt, question_id=question.pk,
                             criteria={"TA": band, "CC": band, "LR": band, "GRA": band}, by=teacher)  # fmt: skip
    page = client_for(teacher).get(reverse("teacher-results", args=[writing_session.pk])).content.decode()
    assert "Task 1 7.0 · Task 2 6.0" in page
    raw = client_for(teacher).get(reverse("teacher-results-csv", args=[writing_session.pk])).content
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8").removeprefix(codecs.BOM_UTF8.decode()))))
    header, row = rows[0], next(r for r in rows[1:] if r[0] == str(students[0].pk))
    assert header[-2:] == ["Task 1 band", "Task 2 band"] and row[-2:] == ["7.0", "6.0"]
    assert row[header.index("Band")] == "6.5" and row[header.index("Score")] == ""  # (7 + 12) / 3 = 6.333
    assert row[header.index("Q2 answer")] == "Museums should be free." and row[header.index("Q2 mark")] == ""


def test_the_admin_marks_through_the_service_too(writing_session, teacher, students, make_user):
    task1, _ = _essays(writing_session)
    attempt = writing_session.attempts.get(student=students[0])
    attempt_submit(attempt=attempt)
    data = {"attempt": attempt.pk, "question": task1.pk, "ta": 7, "cc": 6, "lr": 7, "gra": 6, "comment": "Good."}
    response = client_for(teacher).post(reverse("admin:attempts_writingmark_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    mark = WritingMark.objects.get(attempt=attempt, question=task1)
    assert (float(mark.band), mark.marked_by, mark.comment) == (6.5, teacher, "Good.")
    change = reverse("admin:attempts_writingmark_change", args=[mark.pk])
    assert client_for(teacher).post(change, {**data, "gra": 9}).status_code == 302
    mark.refresh_from_db()
    assert (mark.gra, float(mark.band)) == (9, 7.0)
    other = make_user("TEACHER", username="other")
    assert client_for(other).post(reverse("admin:attempts_writingmark_add"), data).status_code == 200  # not theirs
    assert WritingMark.objects.count() == 1
