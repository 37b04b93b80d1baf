"""The teacher's pages without a browser: who may see them, the forms, results with SVG charts, the CSV."""

import codecs
import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from attempts.models import AttemptStatus
from attempts.services import (
    attempt_answer,
    attempt_flag,
    attempt_highlight,
    attempt_progress,
    attempt_record_violation,
    attempt_submit,
)
from classes.models import ClassStatus
from monitoring.charts import band_counts, band_distribution_svg, facility_svg
from sessions_app.models import Session, SessionStatus
from sessions_app.selectors import session_stats
from sessions_app.services import session_complete

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def completed_session(running_session, students):
    """Student 1 answers two right and one wrong, highlights, flags and leaves the tab twice, then hands in;
    student 2 answers one right and is submitted by the teacher; student 3 never came."""
    questions = {q.number: q for q in running_session.test.questions.all()}
    first = running_session.attempts.get(student=students[0])
    attempt_answer(attempt=first, question_id=questions[1].pk, answer="true")
    attempt_answer(attempt=first, question_id=questions[2].pk, answer="B")
    attempt_answer(attempt=first, question_id=questions[3].pk, answer="blue cotton")
    passage = running_session.test.passages.order_by("order").first()
    attempt_highlight(attempt=first, passage_id=passage.pk, text=passage.text[0:9], position_start=0, position_end=9)
    attempt_flag(attempt=first, question_id=questions[3].pk, flagged=True)
    attempt_progress(attempt=first, passage_index=1, question_index=2)
    attempt_record_violation(attempt=first)
    attempt_record_violation(attempt=first, violation_type="PASTE")
    attempt_submit(attempt=first)
    second = running_session.attempts.get(student=students[1])
    attempt_answer(attempt=second, question_id=questions[1].pk, answer="TRUE")
    return session_complete(session=running_session)


# ---------------------------------------------------------------- who may see what


def page_urls(session, school_class, attempt_id):
    return [
        reverse("teacher-dashboard"),
        reverse("teacher-class", args=[school_class.pk]),
        reverse("teacher-live", args=[session.pk]),
        reverse("teacher-results", args=[session.pk]),
        reverse("teacher-results-csv", args=[session.pk]),
        reverse("teacher-timeline", args=[attempt_id]),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(completed_session, school_class):
    attempt = completed_session.attempts.first()
    for url in page_urls(completed_session, school_class, attempt.pk):
        response = client_for().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_students_are_refused(completed_session, school_class, students):
    attempt = completed_session.attempts.get(student=students[0])
    for url in page_urls(completed_session, school_class, attempt.pk):
        assert client_for(students[0]).get(url).status_code == 403, url


def test_a_teacher_of_another_class_sees_nothing_of_this_one(completed_session, school_class, make_user):
    stranger = make_user("TEACHER", username="stranger")
    attempt = completed_session.attempts.first()
    urls = page_urls(completed_session, school_class, attempt.pk)
    dashboard = client_for(stranger).get(urls[0])
    assert dashboard.status_code == 200
    assert school_class.name not in dashboard.content.decode()
    for url in urls[1:]:
        assert client_for(stranger).get(url).status_code == 404, url


def test_admins_and_the_class_teachers_see_every_page(completed_session, school_class, teacher, admin_user):
    attempt = completed_session.attempts.first()
    for user in (teacher, admin_user):
        for url in page_urls(completed_session, school_class, attempt.pk):
            assert client_for(user).get(url).status_code == 200, (user, url)


def test_a_co_teacher_sees_the_class(school_class, make_user):
    co_teacher = make_user("TEACHER", username="coteacher")
    school_class.teachers.add(co_teacher)
    response = client_for(co_teacher).get(reverse("teacher-class", args=[school_class.pk]))
    assert response.status_code == 200


# ---------------------------------------------------------------- dashboard


def test_dashboard_groups_sessions_into_live_upcoming_and_past(teacher, school_class, session, paper):
    from sessions_app.services import session_cancel, session_create, session_open_waiting_room

    live = session_create(
        school_class=school_class, test=paper, title="Tuesday live", scheduled_at=session.scheduled_at,
        created_by=teacher,
    )  # fmt: skip
    session_open_waiting_room(session=live)
    past = session_create(
        school_class=school_class, test=paper, title="Old cancelled", scheduled_at=session.scheduled_at,
        created_by=teacher,
    )  # fmt: skip
    session_cancel(session=past)
    html = client_for(teacher).get(reverse("teacher-dashboard")).content.decode()
    live_part = html.split('class="group group-live"')[1].split('class="group group-upcoming"')[0]
    upcoming_part = html.split('class="group group-upcoming"')[1].split('class="group group-past"')[0]
    past_part = html.split('class="group group-past"')[1]
    assert "Tuesday live" in live_part and reverse("teacher-live", args=[live.pk]) in live_part
    assert "Monday mock" in upcoming_part
    assert "Old cancelled" in past_part
    assert "Beacon 31" in html and "3 students" in html


def test_dashboard_links_a_completed_session_to_its_results(teacher, completed_session):
    html = client_for(teacher).get(reverse("teacher-dashboard")).content.decode()
    assert reverse("teacher-results", args=[completed_session.pk]) in html
    assert reverse("teacher-results-csv", args=[completed_session.pk]) in html


# ---------------------------------------------------------------- class page: sessions


def test_creating_a_session_from_the_class_page(teacher, school_class, paper, students):
    response = client_for(teacher).post(
        reverse("teacher-class", args=[school_class.pk]),
        {"action": "create_session", "title": " Friday mock ", "test": paper.pk,
         "scheduled_at": "2026-12-04T10:30", "tz_offset": "-120"},
    )  # fmt: skip
    session = Session.objects.get(title="Friday mock")
    assert response.status_code == 302 and response["Location"] == reverse("teacher-live", args=[session.pk])
    # 10:30 in a zone two hours ahead of UTC is 08:30 UTC
    assert session.scheduled_at == datetime(2026, 12, 4, 8, 30, tzinfo=UTC)
    assert session.status == SessionStatus.SCHEDULED and session.created_by == teacher
    assert set(session.participants.values_list("student_id", flat=True)) == {s.pk for s in students}


def test_a_session_form_with_errors_is_shown_again(teacher, school_class, paper):
    response = client_for(teacher).post(
        reverse("teacher-class", args=[school_class.pk]),
        {"action": "create_session", "title": "", "test": paper.pk, "scheduled_at": "not a date"},
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Session.objects.exists()


def test_an_archived_class_takes_no_session(teacher, school_class, paper):
    school_class.status = ClassStatus.ARCHIVED
    school_class.save()
    url = reverse("teacher-class", args=[school_class.pk])
    response = client_for(teacher).post(
        url, {"action": "create_session", "title": "Late", "test": paper.pk, "scheduled_at": "2026-12-04T10:30"}
    )
    assert response.status_code == 409
    assert "An archived class takes no new sessions." in response.content.decode()
    assert not Session.objects.exists()


# ---------------------------------------------------------------- class page: enrolment


def test_search_finds_students_outside_the_class_by_name_or_username(teacher, school_class, make_user):
    make_user("STUDENT", username="amira.k", first_name="Amira", last_name="Khan")
    make_user("STUDENT", username="bo", first_name="Bo", last_name="Amir")
    make_user("TEACHER", username="amir.teacher")
    url = reverse("teacher-class", args=[school_class.pk])
    html = client_for(teacher).get(url, {"q": "amir"}).content.decode()
    results = html.split('id="search-results"')[1].split("</ul>")[0]
    assert 'data-username="amira.k"' in results and 'data-username="bo"' in results
    assert "amir.teacher" not in results
    by_full_name = client_for(teacher).get(url, {"q": "amira khan"}).content.decode()
    assert 'data-username="amira.k"' in by_full_name.split('id="search-results"')[1]
    enrolled = client_for(teacher).get(url, {"q": "student1"}).content.decode()
    assert "No student outside the class matches" in enrolled


def test_enrol_one_student_from_the_search(teacher, school_class, session, make_user):
    newcomer = make_user("STUDENT", username="newcomer")
    client = client_for(teacher)
    url = reverse("teacher-class", args=[school_class.pk])
    response = client.post(url, {"action": "enrol", "student_id": newcomer.pk, "q": "new"})
    assert response.status_code == 302
    assert school_class.enrolments.filter(student=newcomer).exists()
    # enrolled through the service: also a participant of the session that has not started
    assert session.participants.filter(student=newcomer).exists()
    page = client.get(response["Location"]).content.decode()
    assert "newcomer" in page.split('id="enrolled"')[1].split("</table>")[0]


def test_pasting_usernames_reports_each_one(teacher, school_class, make_user):
    make_user("STUDENT", username="fresh1")
    make_user("STUDENT", username="Fresh2")
    make_user("TEACHER", username="colleague")
    response = client_for(teacher).post(
        reverse("teacher-class", args=[school_class.pk]),
        {"action": "enrol_list", "usernames": "fresh1, fresh2\nstudent1\nnobody  colleague\nfresh1"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    table = html.split('id="enrol-outcomes"')[1].split("</table>")[0]
    rows = {
        name: table.split(f'data-username="{name}"')[1].split("</tr>")[0]
        for name in ("fresh1", "fresh2", "student1", "nobody", "colleague")
    }
    assert 'class="ok"' not in rows["nobody"] and "Enrolled." in rows["fresh1"] and "Enrolled." in rows["fresh2"]
    assert "The student is already enrolled." in rows["student1"]
    assert "No user with this username." in rows["nobody"]
    assert "Only students can be enrolled." in rows["colleague"]
    assert table.count("<tr") == 6  # header + five distinct usernames
    assert set(school_class.enrolments.values_list("student__username", flat=True)) >= {"fresh1", "Fresh2"}
    # the failed usernames are put back in the box
    box = html.split('name="usernames"')[1].split("</textarea>")[0]
    assert "student1" in box and "nobody" in box and "colleague" in box and "fresh1" not in box


def test_pasting_only_good_usernames_enrols_and_redirects(teacher, school_class, make_user):
    make_user("STUDENT", username="fresh1")
    response = client_for(teacher).post(
        reverse("teacher-class", args=[school_class.pk]), {"action": "enrol_list", "usernames": "fresh1"}
    )
    assert response.status_code == 302
    assert school_class.enrolments.filter(student__username="fresh1").exists()


def test_removing_a_student_goes_through_the_service(teacher, school_class, running_session, students):
    response = client_for(teacher).post(
        reverse("teacher-class", args=[school_class.pk]), {"action": "remove", "student_id": students[0].pk}
    )
    assert response.status_code == 302
    assert not school_class.enrolments.filter(student=students[0]).exists()
    # they leave the unfinished session and their open attempt is abandoned
    assert not running_session.participants.filter(student=students[0]).exists()
    assert running_session.attempts.get(student=students[0]).status == AttemptStatus.ABANDONED


def test_removing_someone_not_enrolled_says_so(teacher, school_class, make_user):
    outsider = make_user("STUDENT", username="outsider")
    client = client_for(teacher)
    response = client.post(
        reverse("teacher-class", args=[school_class.pk]), {"action": "remove", "student_id": outsider.pk}
    )
    assert response.status_code == 400
    assert "The student is not enrolled in this class." in response.content.decode()


def test_a_post_with_an_unknown_action_shows_the_page_with_a_message(teacher, school_class):
    response = client_for(teacher).post(reverse("teacher-class", args=[school_class.pk]), {"action": "bogus"})
    assert response.status_code == 400
    assert "Unknown action." in response.content.decode()


# ---------------------------------------------------------------- live monitor


def test_live_page_carries_its_configuration(teacher, session):
    response = client_for(teacher).get(reverse("teacher-live", args=[session.pk]))
    html = response.content.decode()
    config = json.loads(html.split('<script id="live-config" type="application/json">')[1].split("</script>")[0])
    assert config["sessionId"] == session.pk
    assert config["apiBase"] == f"/api/v1/sessions/{session.pk}"
    assert config["wsPath"] == f"/api/v1/sessions/{session.pk}/ws"
    assert config["questionCount"] == 4 and len(config["questionNumbers"]) == 4
    assert "?token=" not in html  # never a JWT in a URL
    for action in ("start-waiting", "start", "complete", "cancel"):
        assert f'data-action="{action}"' in html
    assert 'src="/static/teacher/live.js"' in html and 'name="csrf-token"' in html


# ---------------------------------------------------------------- results


def test_results_match_the_stats_selector_and_draw_svg_charts(teacher, completed_session, students):
    response = client_for(teacher).get(reverse("teacher-results", args=[completed_session.pk]))
    html = response.content.decode()
    stats = session_stats(completed_session)
    assert f'<dd id="fig-participants">{stats["participants"]}</dd>' in html
    assert f'<dd id="fig-submitted">{stats["submitted"]}</dd>' in html
    assert f'<dd id="fig-violations">{stats["violations_total"]}</dd>' in html
    assert stats["submitted"] == 2 and stats["violations_total"] == 2
    for row in stats["students"]:
        cells = html.split(f'<tr data-student-id="{row["student_id"]}">')[1].split("</tr>")[0]
        if row["score"] is None:
            assert '<td class="num score">–</td>' in cells
        else:
            assert f'<td class="num score">{row["score"]}/4</td>' in cells
            assert f'<td class="num band">{row["band"]:.1f}</td>' in cells
    first = next(r for r in stats["students"] if r["student_id"] == students[0].pk)
    assert first["score"] == 2 and first["violations"] == 2
    # two inline SVG charts drawn on the server, each a well-formed image with a title
    charts = [part.split("</svg>")[0] + "</svg>" for part in html.split("<svg")[1:]]
    assert len(charts) == 2
    bands, facility = (ET.fromstring("<svg" + chart) for chart in charts)
    assert bands.get("role") == "img" and bands.find(f"{SVG}title").text == "Band distribution"
    counted = {g.get("data-band"): int(g.get("data-count")) for g in bands.iter(f"{SVG}g")}
    assert sum(counted.values()) == 2
    facility_bars = {g.get("data-number"): float(g.get("data-facility")) for g in facility.iter(f"{SVG}g")}
    assert facility_bars == {str(q["number"]): pytest.approx(q["facility"], abs=0.01) for q in stats["questions"]}
    assert "Paste: <strong>1</strong>" in html and "Tab switch: <strong>1</strong>" in html
    assert "<script" not in html.split('id="bands-h"')[1].split("</section>")[0]


def test_results_wait_for_the_session_to_complete(teacher, running_session):
    response = client_for(teacher).get(reverse("teacher-results", args=[running_session.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="not-completed"' in html and "<svg" not in html
    csv_response = client_for(teacher).get(reverse("teacher-results-csv", args=[running_session.pk]))
    assert csv_response.status_code == 409


def read_csv(response):
    body = response.content
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_a_header_and_one_row_per_student(teacher, completed_session, students):
    response = client_for(teacher).get(reverse("teacher-results-csv", args=[completed_session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith('-results.csv"')
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Student ID", "Username", "Name", "Attempt status"] and "Band" in header
    assert len(body) == 3
    by_username = {row[1]: dict(zip(header, row, strict=True)) for row in body}
    assert by_username["student1"]["Score"] == "2" and by_username["student1"]["Out of"] == "4"
    assert by_username["student1"]["Violations"] == "2" and by_username["student1"]["Name"] == "Stu Dent1"
    assert by_username["student1"]["Band"] == "5.5"  # 2 of 4 is 20 of 40 in Academic Reading
    assert by_username["student3"]["Attempt status"] == "" and by_username["student3"]["Score"] == ""


def test_csv_cells_never_start_a_formula(teacher, school_class, paper, make_user, connect_student):
    from sessions_app.services import class_enrol, session_create, session_open_waiting_room, session_start

    tricky = [
        make_user("STUDENT", username="eve1", first_name='=HYPERLINK("http://x")', last_name="Evil"),
        make_user("STUDENT", username="eve2", first_name="+1", last_name="Plus"),
        make_user("STUDENT", username="eve3", first_name="-2", last_name="Minus"),
        make_user("STUDENT", username="eve4", first_name="@SUM(A1)", last_name="At"),
        make_user("STUDENT", username="eve5", first_name="Zoë", last_name="Ünïcode"),
    ]
    for student in tricky:
        class_enrol(school_class=school_class, student=student)
    session = session_create(
        school_class=school_class, test=paper, title="Formula", scheduled_at=datetime(2026, 12, 1, tzinfo=UTC),
        created_by=teacher,
    )  # fmt: skip
    session_open_waiting_room(session=session)
    connect_student(session, tricky[0])
    session_start(session=session)
    session_complete(session=session)
    rows = read_csv(client_for(teacher).get(reverse("teacher-results-csv", args=[session.pk])))
    names = {row[1]: row[2] for row in rows[1:]}
    assert names["eve1"] == '\'=HYPERLINK("http://x") Evil'
    assert names["eve2"] == "'+1 Plus" and names["eve3"] == "'-2 Minus" and names["eve4"] == "'@SUM(A1) At"
    assert names["eve5"] == "Zoë Ünïcode"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# ---------------------------------------------------------------- timeline


def test_timeline_lists_every_event_of_the_attempt_in_order(teacher, completed_session, students):
    attempt = completed_session.attempts.get(student=students[0])
    response = client_for(teacher).get(reverse("teacher-timeline", args=[attempt.pk]))
    html = response.content.decode()
    timeline = html.split('id="timeline"')[1].split("</ol>")[0]
    types = [part.split('"')[0] for part in timeline.split('data-type="')[1:]]
    assert types == list(attempt.events.order_by("created_at", "id").values_list("type", flat=True))
    assert types[:3] == ["answer_submitted"] * 3 and types[-1] == "attempt_submitted"
    assert "Answered Q1: “true”" in timeline
    assert "Flagged Q3 for review" in timeline
    assert "Left the test: tab switch" in timeline and "Left the test: paste" in timeline
    assert "Moved to passage 2, question 3" in timeline
    assert "Highlighted “Passage 1”" in timeline
    assert "score 2, band 5.5" in timeline
    assert '<dd id="attempt-score">2/4</dd>' in html


# ---------------------------------------------------------------- the charts alone


def test_band_counts_bin_to_half_bands():
    counts = dict(band_counts([6.5, "6.5", 7, None, 9.0, 0]))
    assert counts[6.5] == 2 and counts[7.0] == 1 and counts[9.0] == 1 and counts[0.0] == 1
    assert len(counts) == 19


def test_charts_are_well_formed_even_when_empty():
    for svg in (band_distribution_svg([]), facility_svg([]), facility_svg([{"number": 1, "facility": 1.0}])):
        root = ET.fromstring(str(svg))
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text
