"""The teacher pages' forms: a new session, a practice to publish, a pasted list of usernames to enrol and a students'
CSV file to import (the class page), a violation's review (the timeline)."""

import re
from datetime import timedelta

from django import forms

from attempts.models import Verdict
from attempts.practice import MAX_PRACTICE_MINUTES
from classes.student_csv import StudentFileRefused, student_rows_read
from exams.models import TIME_LIMIT_MINUTES, Test
from sessions_app.models import ResultsRelease

MAX_PASTED_USERNAMES = 200
MAX_STUDENT_FILE_BYTES = 512 * 1024


class SessionCreateForm(forms.Form):
    title = forms.CharField(max_length=200)
    test = forms.ModelChoiceField(
        queryset=Test.objects.latest_versions().order_by("title", "id"), empty_label="Choose a paper…"
    )
    scheduled_at = forms.DateTimeField(
        label="Scheduled for",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    # Minutes to add to the browser's local time to get UTC (JavaScript's getTimezoneOffset()).
    tz_offset = forms.IntegerField(required=False, min_value=-900, max_value=900, widget=forms.HiddenInput)
    parts = forms.CharField(
        label="Passages", required=False, max_length=50,
        help_text="The paper's passage numbers the session covers, e.g. “2” or “2, 3”; empty for the whole paper.",
    )  # fmt: skip
    time_limit_minutes = forms.IntegerField(
        label="Time limit (minutes)", required=False, min_value=TIME_LIMIT_MINUTES[0],
        max_value=TIME_LIMIT_MINUTES[-1], help_text="Empty for the paper's own.",
    )  # fmt: skip
    results_release = forms.TypedChoiceField(
        label="Students see their result", choices=ResultsRelease.choices, initial=ResultsRelease.IMMEDIATE,
        required=False, empty_value=ResultsRelease.IMMEDIATE,
    )  # fmt: skip
    review = forms.BooleanField(label="With their answers and the keys, once released", required=False)

    def clean(self):
        cleaned = super().clean()
        test, parts = cleaned.get("test"), cleaned.get("parts")
        cleaned["passage_ids"] = None
        if test is not None and parts:
            passages = list(test.passages.order_by("order").values_list("pk", flat=True))
            numbers = [part for part in re.split(r"[\s,;]+", parts) if part]
            if not all(n.isdigit() and 1 <= int(n) <= len(passages) for n in numbers):
                self.add_error("parts", f"Give passage numbers from 1 to {len(passages)}.")
            else:
                cleaned["passage_ids"] = [passages[int(n) - 1] for n in sorted(set(numbers), key=int)]
        moment = cleaned.get("scheduled_at")
        offset = cleaned.get("tz_offset")
        if moment is not None and offset is not None:
            # The field read the wall time as UTC; shift it by the browser's offset.
            cleaned["scheduled_at"] = moment + timedelta(minutes=offset)
        return cleaned


LOCAL_TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def _local_time_field(label: str, **options) -> forms.DateTimeField:
    """A time typed in the browser's local time (static/teacher/pages.js sends its offset as `tz_offset`)."""
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    return forms.DateTimeField(label=label, input_formats=LOCAL_TIME_FORMATS, widget=widget, **options)


class PracticePublishForm(forms.Form):
    test = forms.ModelChoiceField(
        label="Paper", queryset=Test.objects.latest_versions().order_by("title", "id"), empty_label="Choose a paper…"
    )
    opens_at = _local_time_field("Opens", required=False, help_text="Empty: open now.")
    closes_at = _local_time_field("Closes", required=False, help_text="Empty: it stays open.")
    tz_offset = forms.IntegerField(required=False, min_value=-900, max_value=900, widget=forms.HiddenInput)
    time_limit_minutes = forms.IntegerField(
        label="Time limit (minutes)", required=False, min_value=1, max_value=MAX_PRACTICE_MINUTES,
        help_text="Empty for the paper's own.",
    )  # fmt: skip
    show_answers_after_submit = forms.BooleanField(
        label="Show each answer's mark and the keys once a student hands in", required=False
    )

    def clean(self):
        cleaned = super().clean()
        offset = cleaned.get("tz_offset")
        for name in ("opens_at", "closes_at"):
            if cleaned.get(name) is not None and offset is not None:
                cleaned[name] += timedelta(minutes=offset)  # read as UTC: shift by the browser's offset
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens is not None and closes is not None and closes <= opens:
            self.add_error("closes_at", "It must close after it opens.")
        return cleaned


class TargetBandForm(forms.Form):
    target_band = forms.TypedChoiceField(
        label="Target band", required=False, coerce=float, empty_value=None,
        choices=[("", "None")] + [(f"{step / 2:.1f}", f"{step / 2:.1f}") for step in range(18, -1, -1)],
        help_text="What the class aims at: the results page draws it against the band distribution.",
    )  # fmt: skip


class UsernameListForm(forms.Form):
    usernames = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "one username per line, or separated by commas"}),
        label="Paste usernames",
    )

    def clean_usernames(self):
        names = [name for name in re.split(r"[\s,;]+", self.cleaned_data["usernames"]) if name]
        unique = list(dict.fromkeys(names))
        if not unique:
            raise forms.ValidationError("Paste at least one username.")
        if len(unique) > MAX_PASTED_USERNAMES:
            raise forms.ValidationError(f"Paste at most {MAX_PASTED_USERNAMES} usernames at a time.")
        return unique


class StudentFileForm(forms.Form):
    """A CSV of students (classes.student_csv); `cleaned_data["rows"]` are its rows, each problem of the file's
    shape is an error of `file` (the rows' own rules are checked by the import)."""

    file = forms.FileField(
        label="CSV file", help_text="Columns username, first_name, last_name and optionally password."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_STUDENT_FILE_BYTES:
            raise forms.ValidationError(f"The file is over {MAX_STUDENT_FILE_BYTES // 1024} KB.")
        try:
            self.cleaned_data["rows"] = student_rows_read(upload.read())
        except StudentFileRefused as refusal:
            raise forms.ValidationError([str(error) for error in refusal.errors]) from None
        return upload


class ViolationReviewForm(forms.Form):
    """A teacher's verdict on one violation, from the attempt's timeline (the service checks the rest)."""

    verdict = forms.ChoiceField(choices=Verdict.choices)
    note = forms.CharField(max_length=500, required=False)
