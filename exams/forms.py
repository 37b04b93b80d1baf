"""The admin's "Import a paper" form: a JSON file of docs/paper-format.md."""

from django import forms

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
