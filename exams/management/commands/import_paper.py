"""`python manage.py import_paper <file.json> [--owner USERNAME]`: the admin's "Import a paper", from a shell.
Without --owner the paper has no author: admins manage it, no teacher sees it in the admin."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from exams.paper_file import PaperFileRefused, paper_import, paper_read


class Command(BaseCommand):
    help = "Create a paper from a JSON file of docs/paper-format.md (the API's create body)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--owner", help="the username of the teacher or admin who authors the paper")

    def handle(self, *args, file, owner, **options):
        author = None
        if owner is not None:
            author = User.objects.filter(username__iexact=owner).first()
            if author is None or not author.is_staff_member:
                raise CommandError(f"No teacher or admin has the username {owner!r}.")
        try:
            test = paper_import(paper=paper_read(file.read_bytes()), owner=author)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except PaperFileRefused as refusal:
            raise CommandError("\n".join([f"{file} was not imported:", *refusal.lines()])) from None
        questions = test.questions.count()
        self.stdout.write(
            f"Imported “{test.title}” (id {test.pk}): {test.passages.count()} passage(s), {questions} question(s)."
        )
