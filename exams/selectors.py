"""Reads on the test bank: which papers a member of staff may see and change in the admin."""

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
