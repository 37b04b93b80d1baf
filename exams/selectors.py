"""Reads on the test bank: which papers a member of staff may see and change in the admin, and the shape of a
paper that every student event is checked against."""

from dataclasses import dataclass

from django.db.models.functions import Length

from exams.models import Passage, Question, QuestionType, Test


def papers_owned_by(user):
    """Admins own the whole bank; a teacher the papers they created (there is no shared bank: the others are
    invisible to them in the admin)."""
    if user.is_platform_admin:
        return Test.objects.all()
    if user.is_teacher:
        return Test.objects.filter(created_by=user)
    return Test.objects.none()


def paper_is_owned_by(test, user) -> bool:
    if user.is_platform_admin:
        return True
    return test is not None and test.pk is not None and test.created_by_id == user.pk and user.is_teacher


def passages_owned_by(user):
    return Passage.objects.filter(test__in=papers_owned_by(user))


def questions_owned_by(user):
    return Question.objects.filter(test__in=papers_owned_by(user))


def paper_in_use(test: Test) -> bool:
    """Whether a started session or an attempt uses this version of a paper: then it never changes again."""
    return test.sessions.filter(started_at__isnull=False).exists() or test.attempts.exists()


@dataclass(frozen=True)
class PaperShape:
    """What a student event is checked against: the ids of the questions a session covers, their indexes (number
    − 1) and each of its passages' text length."""

    question_ids: frozenset
    question_indexes: frozenset
    passage_lengths: dict
    essay_ids: frozenset = frozenset()  # the essays among them: their answers may be longer

    @property
    def passage_count(self) -> int:
        """The range of a progress update's `passage_index` (it indexes the session's passages)."""
        return len(self.passage_lengths)


# (test id, the passages' orders) → (the test's updated_at when read, its shape): a process's papers, read again when
# the paper changes (a passage or question saved or deleted moves the paper's updated_at: exams/apps.py).
_shapes: dict[tuple, tuple[object, PaperShape]] = {}


def paper_shape(test: Test, passage_orders=None) -> PaperShape:
    """The shape of the paper's passages of `passage_orders` (all when empty), from this process's cache while the
    paper is unchanged (two queries otherwise)."""
    key = (test.pk, tuple(sorted(passage_orders or ())))
    cached = _shapes.get(key)
    if cached is not None and cached[0] == test.updated_at:
        return cached[1]
    passages = Passage.objects.filter(test_id=test.pk)
    if passage_orders:
        passages = passages.filter(order__in=passage_orders)
    questions = list(Question.objects.filter(test_id=test.pk, passage__in=passages).values_list("pk", "number", "type"))
    shape = PaperShape(
        question_ids=frozenset(pk for pk, _, _ in questions),
        question_indexes=frozenset(number - 1 for _, number, _ in questions),
        passage_lengths=dict(passages.annotate(length=Length("text")).values_list("pk", "length")),
        essay_ids=frozenset(pk for pk, _, qtype in questions if qtype == QuestionType.ESSAY),
    )
    _shapes[key] = (test.updated_at, shape)
    return shape
