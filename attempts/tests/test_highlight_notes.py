"""A student's note on a highlight (`highlight_noted`): set, cleared, refused, deduplicated, relayed to teachers."""

import pytest

from attempts import services
from attempts.models import AttemptEvent, Highlight
from attempts.selectors import attempt_body
from ielts_site.errors import InvalidInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(running_session, students):
    return running_session.attempts.select_related("test").get(student=students[0])


@pytest.fixture
def other_attempt(running_session, students):
    return running_session.attempts.get(student=students[1])


def highlight_of(attempt) -> int:
    passage = attempt.test.passages.first()
    outcome = services.attempt_highlight(
        attempt=attempt, passage_id=passage.pk, text=passage.text[0:3], position_start=0, position_end=3
    )
    return outcome.ack["highlight_id"]


def test_a_note_is_set_shown_in_the_body_and_reaches_teachers(attempt, listen, publish):
    highlight_id = highlight_of(attempt)
    teachers = listen(attempt.session_id)
    outcome = publish(
        services.attempt_note_highlight, attempt=attempt, highlight_id=highlight_id, note="main idea", event_id="n-1"
    )
    assert outcome.applied and outcome.ack == {}
    assert Highlight.objects.get(pk=highlight_id).note == "main idea"
    [item] = attempt_body(attempt)["highlights"]
    assert item["note"] == "main idea" and list(item)[-1] == "note"
    [message] = teachers.messages()
    assert message == {
        **message,
        "type": "highlight_noted",
        "session_id": attempt.session_id,
        "student_id": attempt.student_id,
        "attempt_id": attempt.pk,
        "highlight_id": highlight_id,
        "note": "main idea",
    }
    logged = AttemptEvent.objects.get(attempt=attempt, event_id="n-1")
    assert logged.type == "highlight_noted" and logged.data == {"highlight_id": highlight_id, "note": "main idea"}


def test_a_new_highlight_reaches_teachers_with_no_note(attempt, listen, publish):
    teachers = listen(attempt.session_id)
    passage = attempt.test.passages.first()
    publish(services.attempt_highlight, attempt=attempt, passage_id=passage.pk, text=passage.text[:3],
            position_start=0, position_end=3)  # fmt: skip
    [message] = teachers.messages()
    assert message["type"] == "text_highlighted" and message["note"] is None
    assert attempt_body(attempt)["highlights"][0]["note"] is None


@pytest.mark.parametrize("cleared_by", [None, "", "   "])
def test_null_or_an_empty_note_clears_it(attempt, listen, publish, cleared_by):
    highlight_id = highlight_of(attempt)
    services.attempt_note_highlight(attempt=attempt, highlight_id=highlight_id, note="x")
    teachers = listen(attempt.session_id)
    publish(services.attempt_note_highlight, attempt=attempt, highlight_id=highlight_id, note=cleared_by)
    assert Highlight.objects.get(pk=highlight_id).note is None
    [message] = teachers.messages()
    assert message["type"] == "highlight_noted" and message["note"] is None


def test_a_note_of_500_characters_is_kept_and_501_refused(attempt, listen, publish):
    highlight_id = highlight_of(attempt)
    services.attempt_note_highlight(attempt=attempt, highlight_id=highlight_id, note="a" * 500)
    teachers = listen(attempt.session_id)
    with pytest.raises(InvalidInput) as refused:
        publish(services.attempt_note_highlight, attempt=attempt, highlight_id=highlight_id, note="b" * 501,
                event_id="long")  # fmt: skip
    assert refused.value.code == "too_long"
    assert Highlight.objects.get(pk=highlight_id).note == "a" * 500
    assert teachers.messages() == []
    assert not AttemptEvent.objects.filter(event_id="long").exists()


@pytest.mark.parametrize("note", [5, ["x"], {"a": 1}])
def test_a_note_that_is_not_text_is_refused(attempt, note):
    highlight_id = highlight_of(attempt)
    with pytest.raises(InvalidInput) as refused:
        services.attempt_note_highlight(attempt=attempt, highlight_id=highlight_id, note=note)
    assert refused.value.code == "invalid"


def test_another_attempts_highlight_or_a_removed_one_is_refused(attempt, other_attempt, listen, publish):
    theirs = highlight_of(other_attempt)
    teachers = listen(attempt.session_id)
    with pytest.raises(InvalidInput) as refused:
        publish(services.attempt_note_highlight, attempt=attempt, highlight_id=theirs, note="mine now", event_id="x")
    assert refused.value.code == "unknown_highlight"
    assert Highlight.objects.get(pk=theirs).note is None
    mine = highlight_of(attempt)
    services.attempt_remove_highlight(attempt=attempt, highlight_id=mine)
    with pytest.raises(InvalidInput):
        services.attempt_note_highlight(attempt=attempt, highlight_id=mine, note="gone")
    assert "highlight_noted" not in [m["type"] for m in teachers.messages()]
    assert not AttemptEvent.objects.filter(type="highlight_noted").exists()


def test_a_resend_is_acknowledged_and_changes_nothing(attempt, listen, publish):
    highlight_id = highlight_of(attempt)
    services.attempt_note_highlight(attempt=attempt, highlight_id=highlight_id, note="first", event_id="n-1")
    services.attempt_note_highlight(attempt=attempt, highlight_id=highlight_id, note="second", event_id="n-2")
    teachers = listen(attempt.session_id)
    again = publish(
        services.attempt_note_highlight, attempt=attempt, highlight_id=highlight_id, note="first", event_id="n-1"
    )
    assert not again.applied
    assert Highlight.objects.get(pk=highlight_id).note == "second"
    assert teachers.messages() == []
    assert AttemptEvent.objects.filter(type="highlight_noted").count() == 2


def test_notes_in_one_batch_apply_in_order(attempt):
    first, second = highlight_of(attempt), highlight_of(attempt)
    outcomes = services.attempts_apply([
        services.StudentEvent(attempt.pk, "highlight_noted", {"highlight_id": first, "note": "one"}, "b-1"),
        services.StudentEvent(attempt.pk, "highlight_noted", {"highlight_id": second, "note": "two"}, "b-2"),
        services.StudentEvent(attempt.pk, "highlight_noted", {"highlight_id": first, "note": "three"}, "b-3"),
        services.StudentEvent(attempt.pk, "highlight_noted", {"highlight_id": first, "note": "x" * 501}, "b-4"),
    ])  # fmt: skip
    assert [type(o).__name__ for o in outcomes] == ["EventOutcome"] * 3 + ["InvalidInput"]
    assert dict(Highlight.objects.filter(attempt=attempt).values_list("pk", "note")) == {first: "three", second: "two"}
