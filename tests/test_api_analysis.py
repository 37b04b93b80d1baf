"""`GET /api/v1/sessions/{id}/analysis`: who may read it, its body as JSON, and its place in the OpenAPI schema."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.analysis_support import analysed_session
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(teacher, make_user):
    return analysed_session(teacher, make_user)


def test_the_sessions_teachers_and_admins_read_the_analysis(finished, teacher, admin_user):
    for user in (teacher, admin_user):
        response = api(user).get(f"{API}/sessions/{finished.pk}/analysis")
        assert response.status_code == 200, response.json()
    body = response.json()
    assert body["session_id"] == finished.pk and body["attempts"] == 4 and body["target_band"] == 6.5
    first = body["questions"][0]
    assert first["facility"] == 0.75 and first["key"] == "TRUE" and first["evidence"]["position_start"] == 10
    assert first["wrong_answers"] == [{"answer": "false", "count": 1}]
    assert body["students"][0]["marks"] == [1, 1, 1, 1] and body["students"][0]["band"] == 9.0
    assert body["band_distribution"][0] == {"band": 9.0, "count": 1}
    assert body["types"][0] == {"type": "MULTIPLE_CHOICE", "key": None, "questions": 1, "facility": 0.25}
    assert api(teacher).get(f"{API}/sessions/{finished.pk}/analysis/").status_code == 200


def test_a_participant_is_refused_and_anyone_else_does_not_find_it(finished, make_user):
    participant = User.objects.get(username="ann")
    assert_error(api(participant).get(f"{API}/sessions/{finished.pk}/analysis"), 403)
    for outsider in (make_user("TEACHER", username="other-teacher"), make_user("STUDENT", username="stranger")):
        assert_error(api(outsider).get(f"{API}/sessions/{finished.pk}/analysis"), 404)
    assert api().get(f"{API}/sessions/{finished.pk}/analysis").status_code == 401
    assert_error(api(participant).get(f"{API}/sessions/999999/analysis"), 404)


def test_the_endpoint_does_not_grow_with_the_class(teacher, make_user):
    session = analysed_session(teacher, make_user)
    client = api(teacher)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{API}/sessions/{session.pk}/analysis").status_code == 200
    assert len(queries) <= 14, [q["sql"] for q in queries]


def test_the_analysis_is_in_the_openapi_schema_with_its_body():
    schema = Client().get(f"{API}/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/sessions/{id}/analysis"]["get"]
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert set(body["properties"]) == {"session_id", "status", "attempts", "target_band", "questions", "types",
                                       "students", "band_distribution"}  # fmt: skip
    question = schema["components"]["schemas"]["QuestionAnalysis"]["properties"]
    assert set(question) == {
        "question_id", "number", "type", "key", "answered", "correct", "facility", "blank_rate", "discrimination",
        "wrong_answers", "median_seconds_to_first_answer", "flagged_by", "evidence", "evidence_highlighted",
        "evidence_share", "facility_highlighted", "facility_not_highlighted",
    }  # fmt: skip
    student = schema["components"]["schemas"]["StudentAnalysis"]["properties"]
    assert set(student) == {"student_id", "student_name", "attempt_id", "score", "band", "marks"}
