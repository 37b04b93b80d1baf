"""Reads on the test bank: which papers a member of staff may see and change in the admin, and the shape of a
paper that every student event is checked against."""

from dataclasses import dataclass

from django.db.models.functions import Length

from exams.models import Passage, Question, Test


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


@dataclass(frozen=True)
class PaperShape:
    """What a student event is checked against: the paper's question ids and each passage's text length."""

    question_ids: frozenset
    passage_lengths: dict

    @property
    def sizes(self) -> tuple[int, int]:
        """(passages, questions): the ranges of a progress update."""
        return len(self.passage_lengths), len(self.question_ids)


# test id → (its updated_at when read, its shape): a process's papers, read again when the paper changes
# (a passage or question saved or deleted moves the paper's updated_at: exams/apps.py).
_shapes: dict[int, tuple[object, PaperShape]] = {}


def paper_shape(test: Test) -> PaperShape:
    """The paper's shape, from this process's cache while the paper is unchanged (two queries otherwise)."""
    cached = _shapes.get(test.pk)
    if cached is not None and cached[0] == test.updated_at:
        return cached[1]
    shape = PaperShape(
        question_ids=frozenset(Question.objects.filter(test_id=test.pk).values_list("pk", flat=True)),
        passage_lengths=dict(
            Passage.objects.filter(test_id=test.pk).annotate(length=Length("text")).values_list("pk", "length")
        ),
    )
    _shapes[test.pk] = (test.updated_at, shape)
    return shape
