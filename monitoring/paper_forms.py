"""The paper editor's forms: a paper, its passages and each passage's questions, posted as one page and checked
as one paper. Every message names its passage or question ("Question 3: add at least one accepted answer"),
since one page holds many, and stays beside its field.

A passage's MATCHING questions may share the passage's list of headings: the teacher types it once, and each of
those questions stores the same options (the model keeps `options` on every question).
"""

from collections import Counter

from django import forms

from exams.choices import Module, QuestionType
from exams.marking import normalise, word_count
from exams.models import TIME_LIMIT_MINUTES
from exams.presentation import FIXED_CHOICES, TEXT_TYPES, option_choice
from exams.validation import validate_answers, validate_options

MAX_PASSAGES = 10
MAX_QUESTIONS_PER_PASSAGE = 60
CHOICE_TYPES = {QuestionType.MULTIPLE_CHOICE, QuestionType.MATCHING}


class LinesField(forms.CharField):
    """A list of strings typed one per line; blank lines are dropped."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value) -> list[str]:
        return [line.strip() for line in super().to_python(value).splitlines() if line.strip()]

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value


class LabelledForm(forms.Form):
    """A form whose every message starts with what it is about: its `label`, e.g. "Question 3"."""

    def __init__(self, *args, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.label = label

    def add_error(self, field, error):
        messages = error.messages if isinstance(error, forms.ValidationError) else [error]
        super().add_error(field, [f"{self.label}: {message}" for message in messages])


class PaperForm(forms.Form):
    title = forms.CharField(max_length=200)
    module = forms.ChoiceField(choices=Module.choices)
    time_limit_minutes = forms.IntegerField(
        label="Time limit (minutes)", min_value=TIME_LIMIT_MINUTES[0], max_value=TIME_LIMIT_MINUTES[-1]
    )


class PassageForm(LabelledForm):
    title = forms.CharField(max_length=200, required=False)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), error_messages={"required": "add its text."})
    shared_options = LinesField(
        label="Headings shared by its matching questions (one per line)",
        required=False,
        validators=[validate_options],
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "i  The first heading\nii  The second heading"}),
    )


class QuestionForm(LabelledForm):
    number = forms.IntegerField(min_value=1)
    type = forms.ChoiceField(choices=QuestionType.choices)
    prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": "write it."})
    options = LinesField(
        label="Options (one per line)",
        required=False,
        validators=[validate_options],
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "A  The first option\nB  The second option"}),
    )
    uses_shared_options = forms.BooleanField(label="Use the passage's headings", required=False)
    answers = LinesField(
        label="Accepted answers (one per line)",
        validators=[validate_answers],
        error_messages={"required": "add at least one accepted answer."},
    )
    word_limit = forms.IntegerField(label="Word limit", min_value=1, max_value=10, required=False)
    # The evidence span (staff only): where the passage holds the answer, as character offsets in its text.
    evidence_start = forms.IntegerField(label="Evidence from character", min_value=0, required=False)
    evidence_end = forms.IntegerField(label="Evidence to character (exclusive)", min_value=1, required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("evidence_start"), cleaned.get("evidence_end")
        if (start is None) != (end is None):
            self.add_error("evidence_end", "give both ends of the evidence span, or neither.")
        elif start is not None and end is not None and start >= end:
            self.add_error("evidence_end", "the evidence span ends after it starts.")
        return cleaned


class RowFormSet(forms.BaseFormSet):
    """Rows added and removed in the browser: every posted row counts (none is skipped as blank), and each form
    is labelled by its place in the paper."""

    noun = "Row"
    first_number = 1

    def initial_form_count(self):
        return self.total_form_count() if self.is_bound else super().initial_form_count()

    def get_form_kwargs(self, index):
        label = f"New {self.noun.lower()}" if index is None else f"{self.noun} {self.first_number + index}"
        return {**super().get_form_kwargs(index), "label": label}


class PassageFormSet(RowFormSet):
    noun = "Passage"
    default_error_messages = {"too_many_forms": "A paper has at most %(num)d passages."}

    def clean(self):
        if not self.forms:
            raise forms.ValidationError("Add at least one passage.")


class QuestionFormSet(RowFormSet):
    noun = "Question"
    default_error_messages = {"too_many_forms": "A passage has at most %(num)d questions."}


# `absolute_max` as low as `max_num`: a posted count beyond it builds no forms, it is only refused.
PassageForms = forms.formset_factory(
    PassageForm, formset=PassageFormSet, extra=0, max_num=MAX_PASSAGES, absolute_max=MAX_PASSAGES, validate_max=True
)
QuestionForms = forms.formset_factory(
    QuestionForm,
    formset=QuestionFormSet,
    extra=0,
    max_num=MAX_QUESTIONS_PER_PASSAGE,
    absolute_max=MAX_QUESTIONS_PER_PASSAGE,
    validate_max=True,
)

PASSAGES_PREFIX = "passage"


def questions_prefix(passage_prefix: str) -> str:
    return f"{passage_prefix}-question"


def _shared_headings(questions: list[dict]) -> list[str]:
    """The options most of a passage's MATCHING questions have (what the editor shows as the shared list)."""
    lists = Counter(tuple(q["options"]) for q in questions if q["type"] == QuestionType.MATCHING and q["options"])
    return list(lists.most_common(1)[0][0]) if lists else []


def _question_initial(question: dict, shared: list[str]) -> dict:
    uses_shared = bool(shared) and question["type"] == QuestionType.MATCHING and question["options"] == shared
    return {**question, "uses_shared_options": uses_shared, "options": [] if uses_shared else question["options"]}


class PaperEditor:
    """The paper as the editor posts it: the paper's form, its passages, and each passage's `questions` formset.
    `paper_arguments()` gives what exams.services.test_create and test_edit take."""

    def __init__(self, data=None, *, paper=None, passages=None):
        self.paper = PaperForm(data, initial=paper)
        passages = passages or []
        self.passages = PassageForms(
            data,
            prefix=PASSAGES_PREFIX,
            initial=[{k: p[k] for k in ("title", "text", "shared_options")} for p in passages],
        )
        number = 1
        for index, passage_form in enumerate(self.passages.forms):
            passage_form.questions = QuestionForms(
                data,
                prefix=questions_prefix(passage_form.prefix),
                initial=passages[index]["questions"] if index < len(passages) else None,
            )
            passage_form.questions.first_number = number
            number += passage_form.questions.total_form_count()

    @classmethod
    def blank(cls) -> "PaperEditor":
        """A new paper: one passage with one question."""
        question = {"number": 1, "type": QuestionType.TRUE_FALSE_NOT_GIVEN, "options": [], "answers": []}
        return cls(
            paper={"module": Module.ACADEMIC_READING, "time_limit_minutes": 60},
            passages=[{"title": "", "text": "", "shared_options": [], "questions": [question]}],
        )

    @classmethod
    def for_paper(cls, test) -> "PaperEditor":
        """A stored paper in the editor, each passage's most shared MATCHING options as its headings list."""
        fields = ("number", "type", "prompt", "options", "answers", "word_limit", "evidence_start", "evidence_end")
        passages = []
        for passage in test.passages.order_by("order", "id"):
            questions = list(passage.questions.order_by("number").values(*fields))
            shared = _shared_headings(questions)
            passages.append(
                {
                    "title": passage.title,
                    "text": passage.text,
                    "shared_options": shared,
                    "questions": [_question_initial(q, shared) for q in questions],
                }
            )
        paper = {"title": test.title, "module": test.module, "time_limit_minutes": test.time_limit_minutes}
        return cls(paper=paper, passages=passages)

    @staticmethod
    def blank_passage() -> PassageForm:
        """The rows the page's script copies for a new passage and a new question (`__prefix__` stands for
        their place)."""
        passage_form = PassageForms(prefix=PASSAGES_PREFIX).empty_form
        passage_form.questions = QuestionForms(prefix=questions_prefix(passage_form.prefix))
        return passage_form

    def is_valid(self) -> bool:
        forms_valid = [self.paper.is_valid(), self.passages.is_valid()]
        forms_valid += [passage_form.questions.is_valid() for passage_form in self.passages.forms]
        self._check_paper()
        return all(forms_valid) and not self.errors

    @property
    def errors(self) -> list[str]:
        """Every message on the page, in its order (the summary at the top)."""
        found = [f"{self.paper[name].label}: {m}" for name, messages in self.paper.errors.items() for m in messages]
        found += self.passages.non_form_errors()
        for passage_form in self.passages.forms:
            found += [m for messages in passage_form.errors.values() for m in messages]
            found += passage_form.questions.non_form_errors()
            for question_form in passage_form.questions.forms:
                found += [m for messages in question_form.errors.values() for m in messages]
        return found

    def _check_paper(self) -> None:
        """The rules across forms: each passage with a question, and on each question whose own fields are valid,
        numbers 1..N in order across the paper, and options and keys a student can actually choose."""
        for passage_form in self.passages.forms:
            if not passage_form.questions.forms:
                passage_form.add_error(None, "add at least one question.")
            shared = passage_form.cleaned_data.get("shared_options")  # None when the list itself is not valid
            for index, question_form in enumerate(passage_form.questions.forms):
                if question_form.is_valid():
                    self._check_question(question_form, passage_form.questions.first_number + index, shared)

    @staticmethod
    def _check_question(form: QuestionForm, expected_number: int, shared: list[str] | None) -> None:
        data = form.cleaned_data
        if data["number"] != expected_number:
            form.add_error(
                "number", f"number the questions 1..N in order across the paper: this one is {expected_number}."
            )
        qtype = data["type"]
        if qtype == QuestionType.MATCHING and data["uses_shared_options"]:
            if shared is None:
                return
            if not shared:
                form.add_error(
                    "uses_shared_options",
                    "the passage has no headings list: write it, or give this question its own options.",
                )
                return
            data["options"] = shared  # what paper_arguments() stores on the question
        if qtype in TEXT_TYPES:
            too_long = [a for a in data["answers"] if data["word_limit"] and word_count(a) > data["word_limit"]]
            if too_long:
                form.add_error("answers", f"“{too_long[0]}” is longer than the word limit, so it could never count.")
            return
        if qtype in CHOICE_TYPES:
            if not data["options"]:
                form.add_error("options", "add the options, one per line (e.g. “A  The first option”).")
                return
            choices = [option_choice(option)["value"] for option in data["options"]]
        else:
            choices = FIXED_CHOICES[qtype]
        unreachable = [a for a in data["answers"] if normalise(a) not in {normalise(c) for c in choices}]
        if unreachable:
            form.add_error("answers", f"“{unreachable[0]}” is not a choice the student has ({', '.join(choices)}).")

    def paper_arguments(self) -> dict:
        """The valid paper as exams.services.test_create's keyword arguments (no band table, no author)."""
        passages = []
        for passage_form in self.passages.forms:
            questions = []
            for question_form in passage_form.questions.forms:
                data = question_form.cleaned_data
                questions.append(
                    {
                        "number": data["number"],
                        "type": data["type"],
                        "prompt": data["prompt"],
                        "options": data["options"] if data["type"] in CHOICE_TYPES else [],
                        "answers": data["answers"],
                        "word_limit": data["word_limit"] if data["type"] in TEXT_TYPES else None,
                        "evidence": None
                        if data.get("evidence_start") is None
                        else {"position_start": data["evidence_start"], "position_end": data["evidence_end"]},
                    }
                )
            passage = passage_form.cleaned_data
            passages.append({"title": passage["title"], "text": passage["text"], "questions": questions})
        return {**self.paper.cleaned_data, "passages": passages}
