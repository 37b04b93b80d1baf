"""The admin's forms: "Import a paper" (a JSON file of docs/paper-format.md), and a passage with its recording."""

from pathlib import Path

from django import forms

from exams.audio import AUDIO_MAX_BYTES, AUDIO_TYPES, UnreadableAudio, audio_length_seconds, time_limit_problem
from exams.models import Passage
from exams.paper_file import PaperFileRefused, paper_read

MAX_PAPER_FILE_BYTES = 5 * 1024 * 1024


class PaperFileForm(forms.Form):
    """`cleaned_data["paper"]` is the file's paper, checked as the API checks its create body; each problem is an
    error of `file`, with its path."""

    file = forms.FileField(label="Paper (.json)", widget=forms.ClearableFileInput(attrs={"accept": ".json"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_PAPER_FILE_BYTES:
            raise forms.ValidationError(f"The file is over {MAX_PAPER_FILE_BYTES // (1024 * 1024)} MB.")
        try:
            self.cleaned_data["paper"] = paper_read(upload.read())
        except PaperFileRefused as refusal:
            raise forms.ValidationError(refusal.lines()) from None
        return upload


# A browser names a WAV file audio/x-wav or audio/wave; the extension decides when its type is not one of ours.
AUDIO_EXTENSIONS = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".wav": "audio/wav"}


class PassageForm(forms.ModelForm):
    """A passage in the admin; on a Listening paper, its part's recording may be uploaded with it (checked as the
    API checks it, then stored by exams.services.passage_set_audio)."""

    recording = forms.FileField(
        required=False, label="Recording",
        help_text="A Listening part's audio: MP3, Ogg or WAV, at most 100 MiB. It replaces the part's recording.",
        widget=forms.ClearableFileInput(attrs={"accept": ".mp3,.ogg,.oga,.wav,audio/mpeg,audio/ogg,audio/wav"}),
    )  # fmt: skip

    class Meta:
        model = Passage
        fields = ("test", "order", "title", "text")

    def clean_recording(self):
        upload = self.cleaned_data.get("recording")
        if not upload:
            return None
        if upload.size > AUDIO_MAX_BYTES:
            raise forms.ValidationError("The file is over 100 MiB.")
        content_type = (upload.content_type or "").lower()
        if content_type not in AUDIO_TYPES:
            content_type = AUDIO_EXTENSIONS.get(Path(upload.name or "").suffix.lower())
        if content_type is None:
            raise forms.ValidationError("Upload an MP3, Ogg or WAV file.")
        try:
            self.recording_seconds = audio_length_seconds(upload, content_type)
        except UnreadableAudio as exc:
            raise forms.ValidationError(f"Not readable audio: {exc}") from None
        self.recording_type = content_type
        return upload

    def clean(self):
        data = super().clean()
        test = data.get("test")
        if data.get("recording") and test is not None:
            if not test.is_listening:
                self.add_error("recording", "Only a Listening paper's parts have audio.")
            else:
                others = test.audio_seconds_total() - (self.instance.audio_seconds or 0.0 if self.instance.pk else 0.0)
                problem = time_limit_problem(test.time_limit_minutes, others + self.recording_seconds)
                if problem:
                    self.add_error("recording", problem)
        return data
