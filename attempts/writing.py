"""Marking Writing: a teacher's marks for one essay of a submitted attempt, the one write that REST, the marking page
and the admin all call. The band rules are exams.marking's (`writing_task_band`, `writing_band`)."""

from decimal import Decimal

from django.db import transaction

from attempts.models import Attempt, AttemptEvent, AttemptStatus, WritingMark
from attempts.selectors import attempt_is_teacher
from attempts.services import _locked, _publish, writing_band_of
from exams.marking import WRITING_CRITERIA, writing_task_band
from ielts_site.clock import now
from ielts_site.errors import Conflict, Forbidden, InvalidInput, NotFound

MAX_WRITING_COMMENT_CHARS = 5000


def _criteria(criteria) -> dict[str, int]:
    """Exactly the four criteria, each a whole band from 0 to 9."""
    if not isinstance(criteria, dict) or set(criteria) != set(WRITING_CRITERIA):
        raise InvalidInput("criteria are TA, CC, LR and GRA, each a whole band from 0 to 9.", field="criteria")
    for name in WRITING_CRITERIA:
        value = criteria[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
            raise InvalidInput(f"{name} must be a whole band from 0 to 9.", field=f"criteria.{name}")
    return {name: criteria[name] for name in WRITING_CRITERIA}


def _comment(comment) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str) or "\x00" in comment:
        raise InvalidInput("comment must be text.", field="comment")
    if len(comment) > MAX_WRITING_COMMENT_CHARS:
        raise InvalidInput(f"A comment may be at most {MAX_WRITING_COMMENT_CHARS} characters.", field="comment")
    return comment


@transaction.atomic
def attempt_mark_writing(*, attempt: Attempt | int, question_id, criteria, comment=None, by) -> Attempt:
    """Mark one essay of a submitted attempt (again: the new marks replace the old). The task's band is the mean of
    the criteria rounded down to a half band; once every task is marked the attempt's band is its writing band.
    The attempt's teachers hear `writing_marked` with the task's band."""
    criteria, comment = _criteria(criteria), _comment(comment)
    attempt = _locked(attempt)
    if by is not None and not attempt_is_teacher(attempt, by):
        raise Forbidden("Only the attempt's teachers and admins mark it.")
    essays = [q for q in attempt.occasion.paper_questions() if q.is_essay]
    question = next((q for q in essays if str(q.pk) == str(question_id)), None)
    if question is None:
        raise NotFound("No such essay in this attempt's paper.")
    if attempt.status != AttemptStatus.SUBMITTED:
        raise Conflict("Only a submitted attempt is marked.", code="attempt_not_submitted")
    band = Decimal(str(writing_task_band(criteria)))
    moment = now()
    WritingMark.objects.update_or_create(
        attempt=attempt, question=question,
        defaults={"ta": criteria["TA"], "cc": criteria["CC"], "lr": criteria["LR"], "gra": criteria["GRA"],
                  "band": band, "comment": comment, "marked_by": by, "marked_at": moment},
    )  # fmt: skip
    attempt.band = writing_band_of(attempt, essays)
    attempt.save(update_fields=["band"])
    AttemptEvent.objects.create(
        attempt=attempt, type="writing_marked", created_at=moment,
        data={"question_id": question.pk, "criteria": criteria, "band": str(band),
              "by": by.pk if by is not None else None},
    )  # fmt: skip
    _publish(attempt, "writing_marked", question_id=question.pk, band=float(band))
    return attempt
