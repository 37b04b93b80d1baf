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

from attempts.models import AttemptStatus, Verdict
from attempts.services import (
    attempt_answer,
    attempt_flag,
    attempt_highlight,
    attempt_progress,
    attempt_record_violation,
    attempt_submit,
)
from classes.models import ClassStatus
from ielts_site.clock import iso
from monitoring.charts import band_counts, band_distribution_svg, facility_svg
from monitoring.selectors import GIVE_BACK_REASON
from sessions_app.models import Session, SessionStatus
from sessions_app.selectors import session_stats
from sessions_app.services import session_complete, session_extend

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


def test_a_session_of_one_passage_held_until_released_from_the_class_page(teacher, school_class, paper):
    response = client_for(teacher).post(
        reverse("teacher-class", args=[school_class.pk]),
        {"action": "create_session", "title": "Passage 2 drill", "test": paper.pk, "scheduled_at": "2026-12-04T10:30",
         "parts": "2", "time_limit_minutes": "20", "results_release": "MANUAL", "review": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    session = Session.objects.get(title="Passage 2 drill")
    assert [p.order for p in session.paper_passages()] == [1] and session.duration_minutes == 20
    assert session.results_release == "MANUAL" and session.review


def test_passage_numbers_not_of_the_paper_are_refused(teacher, school_class, paper):
    response = client_for(teacher).post(
        reverse("teacher-class", args=[school_class.pk]),
        {"action": "create_session", "title": "Drill", "test": paper.pk, "scheduled_at": "2026-12-04T10:30",
         "parts": "3"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Give passage numbers from 1 to 2." in response.content.decode()
    assert not Session.objects.filter(title="Drill").exists()


def test_the_results_page_releases_held_results(teacher, running_session, students):
    Session.objects.filter(pk=running_session.pk).update(results_release="MANUAL")
    session_complete(session=running_session)
    client = client_for(teacher)
    page = client.get(reverse("teacher-results", args=[running_session.pk])).content.decode()
    assert "Students do not see their results yet." in page and 'id="release-results"' in page
    response = client.post(reverse("teacher-results-release", args=[running_session.pk]))
    assert response.status_code == 302
    running_session.refresh_from_db()
    assert running_session.results_released_at is not None
    page = client.get(reverse("teacher-results", args=[running_session.pk])).content.decode()
    assert "Students see their results since" in page and 'id="release-results"' not in page
    again = client.post(reverse("teacher-results-release", args=[running_session.pk]), follow=True)
    assert "The results are released already." in again.content.decode()


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


def live_config(html: str) -> dict:
    return json.loads(html.split('<script id="live-config" type="application/json">')[1].split("</script>")[0])


def test_live_page_carries_its_configuration(teacher, session):
    response = client_for(teacher).get(reverse("teacher-live", args=[session.pk]))
    html = response.content.decode()
    config = live_config(html)
    assert config["sessionId"] == session.pk
    assert config["apiBase"] == f"/api/v1/sessions/{session.pk}"
    assert config["wsPath"] == f"/api/v1/sessions/{session.pk}/ws"
    assert config["questionCount"] == 4 and len(config["questionNumbers"]) == 4
    assert "?token=" not in html  # never a JWT in a URL
    for action in ("start-waiting", "start", "complete", "cancel"):
        assert f'data-action="{action}"' in html
    assert 'src="/static/teacher/live.js"' in html and 'name="csrf-token"' in html


def test_live_page_offers_the_teacher_s_controls(teacher, running_session, students):
    """Pause and resume beside the other transitions, the class's and the cards' controls, and what the script
    needs to show a paused clock and the offline time already given back."""
    from sessions_app.services import attempt_extend, session_pause

    attempt = running_session.attempts.get(student=students[0])
    attempt_extend(attempt=attempt, seconds=42, by=teacher, reason=GIVE_BACK_REASON)
    attempt_extend(attempt=attempt, seconds=300, by=teacher, reason="Access arrangement")  # not a give-back
    session_extend(session=running_session, seconds=60, by=teacher, reason=GIVE_BACK_REASON)  # the class: neither
    session_pause(session=running_session, by=teacher, reason="Fire alarm")
    html = client_for(teacher).get(reverse("teacher-live", args=[running_session.pk])).content.decode()
    config = live_config(html)
    assert config["actions"]["pause"]["allowed"] == ["IN_PROGRESS"]
    assert config["actions"]["resume"]["allowed"] == ["PAUSED"]
    assert config["controlStatuses"] == {
        "running": ["IN_PROGRESS", "PAUSED"], "open": ["IN_PROGRESS", "PAUSED", "WAITING_FOR_STUDENTS"],
    }  # fmt: skip
    running_session.refresh_from_db()
    assert config["pausedAt"] == iso(running_session.paused_at)
    assert config["offlineGivenBack"] == {str(students[0].pk): 42}
    assert config["giveBackReason"] == GIVE_BACK_REASON
    for action in ("pause", "resume"):
        assert f'data-action="{action}"' in html
    assert 'data-class-control="extra"' in html and 'data-class-control="message"' in html
    template = html.split('<template id="card-template">')[1].split("</template>")[0]
    for control in ("extra", "message", "finish", "reopen", "review", "give-back"):
        assert f'data-control="{control}"' in template
    assert '<dialog id="control-dialog"' in html and '<dialog id="review-dialog"' in html


def test_live_page_of_a_running_session_has_no_pause_moment(teacher, running_session):
    config = live_config(client_for(teacher).get(reverse("teacher-live", args=[running_session.pk])).content.decode())
    assert config["pausedAt"] is None and config["offlineGivenBack"] == {}


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
    # inline SVG charts drawn on the server, each a well-formed image with a title: bands, facility, then the item
    # analysis's discrimination, types and heat strip (no evidence chart: the paper has no evidence spans)
    charts = [ET.fromstring("<svg" + part.split("</svg>")[0] + "</svg>") for part in html.split("<svg")[1:]]
    assert [chart.get("id") for chart in charts] == [
        "band-chart", "facility-chart", "discrimination-chart", "type-chart", "heat-strip",
    ]  # fmt: skip
    assert all(chart.get("role") == "img" and chart.find(f"{SVG}title").text for chart in charts)
    bands, facility = charts[:2]
    assert bands.find(f"{SVG}title").text == "Band distribution"
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
    assert by_username["student3"]["Attempt status"] == "Absent" and by_username["student3"]["Score"] == ""
    assert by_username["student1"]["Attempt status"] == "Submitted"  # words a teacher reads
    assert by_username["student1"]["Submitted"].startswith(str(completed_session.completed_at.year))
    # One answer and one mark per question of the session, by number.
    assert header[-8:] == [label for n in range(1, 5) for label in (f"Q{n} answer", f"Q{n} mark")]
    marks = [by_username["student1"][f"Q{n} mark"] for n in range(1, 5)]
    assert marks.count("1") == 2 and marks.count("0") == 2  # 2 of 4 correct
    assert by_username["student3"]["Q1 answer"] == "" and by_username["student3"]["Q1 mark"] == ""


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


# ---------------------------------------------------------------- the teacher's controls on results and timeline


@pytest.fixture
def reviewed_session(running_session, students, teacher, connect_student):
    """Student 1 leaves the tab and pastes (the tab switch confirmed, the paste dismissed as the teacher's own
    doing), is given 5 minutes and a message, is finished by the teacher and reopened; student 2 is offline for a
    while; then the session completes."""
    from attempts.services import attempt_record_violation
    from sessions_app.services import (
        attempt_extend,
        attempt_finish,
        attempt_reopen,
        participant_disconnect,
        session_message,
        session_pause,
        session_resume,
        violation_review,
    )

    first = running_session.attempts.get(student=students[0])
    attempt_record_violation(attempt=first)
    attempt_record_violation(attempt=first, violation_type="PASTE")
    tab, paste = first.violations.order_by("timestamp", "id")
    violation_review(attempt=first, violation_id=tab.pk, verdict="CONFIRMED", by=teacher, note="Seen twice")
    violation_review(attempt=first, violation_id=paste.pk, verdict="DISMISSED", by=teacher, note="I asked for it")
    attempt_extend(attempt=first, seconds=300, by=teacher, reason="Access arrangement")
    session_message(session=running_session, text="Question 3 has a typo.", by=teacher)
    session_pause(session=running_session, by=teacher, reason="Fire alarm")
    session_resume(session=running_session, by=teacher)
    attempt_finish(attempt=first, by=teacher)
    attempt_reopen(attempt=first, seconds=600, by=teacher)
    participant_disconnect(channel_name=f"test.{running_session.pk}.{students[1].pk}")
    second = running_session.attempts.get(student=students[1])
    second.refresh_from_db()
    second.offline_seconds, second.offline_since = 75, None  # as if away for 75 s
    second.save(update_fields=["offline_seconds", "offline_since"])
    return session_complete(session=running_session)


def test_results_show_confirmed_violations_beside_all_of_them(teacher, reviewed_session, students):
    html = client_for(teacher).get(reverse("teacher-results", args=[reviewed_session.pk])).content.decode()
    stats = session_stats(reviewed_session)
    rows = {row["student_id"]: row for row in stats["students"]}
    assert rows[students[0].pk]["violations"] == 2 and rows[students[0].pk]["violations_confirmed"] == 1
    assert '<dd id="fig-violations">2</dd>' in html and '<dd id="fig-violations-confirmed">1</dd>' in html
    first = html.split(f'<tr data-student-id="{students[0].pk}">')[1].split("</tr>")[0]
    assert '<td class="num violations"><span class="violation-count some">2</span></td>' in first
    assert '<td class="num confirmed"><span class="violation-count some">1</span></td>' in first
    second = html.split(f'<tr data-student-id="{students[1].pk}">')[1].split("</tr>")[0]
    assert '<td class="num confirmed"><span class="violation-count">0</span></td>' in second
    assert '<td class="num offline">1 min 15 s</td>' in second and '<td class="num extra">–</td>' in second
    by_type = html.split('id="violations-by-type"')[1].split("</ul>")[0]
    assert 'Tab switch: <strong>1</strong> <span class="muted">(1 confirmed)</span>' in by_type
    assert 'Paste: <strong>1</strong> <span class="muted">(0 confirmed)</span>' in by_type


def test_csv_has_confirmed_violations_extra_and_offline_time(teacher, reviewed_session, students):
    rows = read_csv(client_for(teacher).get(reverse("teacher-results-csv", args=[reviewed_session.pk])))
    header = rows[0]
    assert header[header.index("Violations") + 1] == "Confirmed violations"
    assert "Extra time (s)" in header and "Time away (s)" in header
    by_username = {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    first, second = by_username["student1"], by_username["student2"]
    assert (first["Violations"], first["Confirmed violations"]) == ("2", "1")
    stats = {row["student_id"]: row for row in session_stats(reviewed_session)["students"]}
    assert first["Extra time (s)"] == str(stats[students[0].pk]["extra_seconds"])
    assert (second["Confirmed violations"], second["Extra time (s)"], second["Time away (s)"]) == ("0", "0", "75")


def test_csv_keeps_the_sign_of_negative_numbers(teacher, running_session, students):
    from sessions_app.services import attempt_extend

    attempt = running_session.attempts.get(student=students[0])
    attempt_extend(attempt=attempt, seconds=-120, by=teacher)
    session_complete(session=running_session)
    rows = read_csv(client_for(teacher).get(reverse("teacher-results-csv", args=[running_session.pk])))
    row = dict(zip(rows[0], next(r for r in rows[1:] if r[1] == "student1"), strict=True))
    assert row["Extra time (s)"] == "-120"  # a number, not a formula to defuse


def test_timeline_puts_the_teacher_s_controls_in_words(teacher, reviewed_session, students):
    attempt = reviewed_session.attempts.get(student=students[0])
    html = client_for(teacher).get(reverse("teacher-timeline", args=[attempt.pk])).content.decode()
    timeline = html.split('id="timeline"')[1].split("</ol>")[0]
    by = "— by Tess Teacher"
    for line in (
        f"A violation was confirmed: “Seen twice” {by}",
        f"A violation was dismissed: “I asked for it” {by}",
        f"Given 5 min more (Access arrangement) {by}",
        f"Message from the teacher: “Question 3 has a typo.” {by}",
        f"The teacher paused the test (Fire alarm) {by}",
        f"The teacher finished the test {by}",
        "Submitted and marked (the teacher ended the test)",
        f"Reopened for 10 min {by}",
    ):
        assert line in timeline, line
    assert "The test went on after" in timeline and f"s paused {by}" in timeline
    assert '<dd id="attempt-violations">2 <small class="muted">(1 confirmed)</small></dd>' in html


def test_timeline_lists_each_violation_with_its_review_form(teacher, reviewed_session, students):
    attempt = reviewed_session.attempts.get(student=students[0])
    tab, paste = attempt.violations.order_by("timestamp", "id")
    html = client_for(teacher).get(reverse("teacher-timeline", args=[attempt.pk])).content.decode()
    reviews = html.split('id="violations"')[1].split("</ol>")[0]
    tab_item = reviews.split(f'id="violation-{tab.pk}"')[1].split("</li>")[0]
    assert 'data-verdict="CONFIRMED"' in tab_item and '<q class="review-note-text">Seen twice</q>' in tab_item
    assert f'action="{reverse("teacher-violation-review", args=[attempt.pk, tab.pk])}"' in tab_item
    assert 'name="csrfmiddlewaretoken"' in tab_item and 'value="Seen twice"' in tab_item
    assert 'aria-label="Confirm violation 1 (tab switch)" aria-pressed="true"' in tab_item
    paste_item = reviews.split(f'id="violation-{paste.pk}"')[1]
    assert 'aria-label="Dismiss violation 2 (paste)" aria-pressed="true"' in paste_item


def test_a_violation_is_reviewed_from_the_timeline(teacher, attempt_with_work):
    violation = attempt_with_work.violations.get()
    url = reverse("teacher-violation-review", args=[attempt_with_work.pk, violation.pk])
    client = client_for(teacher)
    response = client.post(url, {"verdict": "DISMISSED", "note": "I asked them to check the clock"})
    assert response.status_code == 302
    timeline_url = reverse("teacher-timeline", args=[attempt_with_work.pk])
    assert response["Location"] == f"{timeline_url}#violation-{violation.pk}"
    violation.refresh_from_db()
    assert (violation.verdict, violation.note, violation.reviewed_by) == (
        Verdict.DISMISSED, "I asked them to check the clock", teacher,
    )  # fmt: skip
    page = client.get(timeline_url).content.decode()
    assert "Violation dismissed." in page
    # A later review replaces it, its note too.
    client_for(teacher).post(url, {"verdict": "CONFIRMED", "note": ""})
    violation.refresh_from_db()
    assert (violation.verdict, violation.note) == (Verdict.CONFIRMED, None)


def test_a_bad_review_changes_nothing_and_says_why(teacher, attempt_with_work, students, make_user, running_session):
    violation = attempt_with_work.violations.get()
    url = reverse("teacher-violation-review", args=[attempt_with_work.pk, violation.pk])
    response = client_for(teacher).post(url, {"verdict": "MAYBE"}, follow=True)
    assert "Choose Confirm or Dismiss" in response.content.decode()
    other = running_session.attempts.get(student=students[1])
    foreign = reverse("teacher-violation-review", args=[other.pk, violation.pk])  # not that attempt's violation
    response = client_for(teacher).post(foreign, {"verdict": "CONFIRMED"}, follow=True)
    assert "No such violation in this attempt." in response.content.decode()
    stranger = make_user("TEACHER", username="stranger")
    assert client_for(stranger).post(url, {"verdict": "CONFIRMED"}).status_code == 404
    assert client_for(students[0]).post(url, {"verdict": "CONFIRMED"}).status_code == 403
    assert client_for(teacher).get(url).status_code == 405
    violation.refresh_from_db()
    assert violation.verdict is None and violation.note is None


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


def test_the_class_page_sets_and_clears_the_target_band(teacher, school_class):
    page = client_for(teacher)
    url = reverse("teacher-class", args=[school_class.pk])
    assert page.post(url, {"action": "set_target_band", "target_band": "6.5"}).status_code == 302
    school_class.refresh_from_db()
    assert float(school_class.target_band) == 6.5
    assert 'value="6.5" selected' in page.get(url).content.decode()
    assert page.post(url, {"action": "set_target_band", "target_band": "6.3"}).status_code == 400
    school_class.refresh_from_db()
    assert float(school_class.target_band) == 6.5
    assert page.post(url, {"action": "set_target_band", "target_band": ""}).status_code == 302
    school_class.refresh_from_db()
    assert school_class.target_band is None
