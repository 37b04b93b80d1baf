"""The test bank's fixed vocabularies: the IELTS modules and the question types (ielts.md)."""

from django.db import models


class Module(models.TextChoices):
    ACADEMIC_READING = "ACADEMIC_READING", "Academic Reading"
    GENERAL_READING = "GENERAL_READING", "General Training Reading"
    LISTENING = "LISTENING", "Listening"
    ACADEMIC_WRITING = "ACADEMIC_WRITING", "Academic Writing"
    GENERAL_WRITING = "GENERAL_WRITING", "General Training Writing"


class QuestionType(models.TextChoices):
    MULTIPLE_CHOICE = "MULTIPLE_CHOICE", "Multiple choice"
    TRUE_FALSE_NOT_GIVEN = "TRUE_FALSE_NOT_GIVEN", "True / False / Not Given"
    YES_NO_NOT_GIVEN = "YES_NO_NOT_GIVEN", "Yes / No / Not Given"
    MATCHING = "MATCHING", "Matching"
    SENTENCE_COMPLETION = "SENTENCE_COMPLETION", "Sentence completion"
    SHORT_ANSWER = "SHORT_ANSWER", "Short answer"
    ESSAY = "ESSAY", "Essay"


# Writing papers hold only essays, and essays belong to Writing papers only.
WRITING_MODULES = frozenset({Module.ACADEMIC_WRITING, Module.GENERAL_WRITING})
WRITING_TASKS = (1, 2)
