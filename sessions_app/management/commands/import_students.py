"""`python manage.py import_students <class_id> <file.csv>`: the class page's CSV import, from a shell. Prints the
sheet of new students and their generated passwords (shown this once, never stored), or every problem of the file
and imports nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from classes.models import Class
from classes.student_csv import StudentFileRefused, student_rows_read
from ielts_site.errors import ApplicationError
from sessions_app.services import students_import


class Command(BaseCommand):
    help = "Create and enrol the students of a CSV file (username, first_name, last_name, password?) in a class."

    def add_arguments(self, parser):
        parser.add_argument("class_id", type=int)
        parser.add_argument("file", type=Path)

    def handle(self, *args, class_id, file, **options):
        school_class = Class.objects.filter(pk=class_id).first()
        if school_class is None:
            raise CommandError(f"No class has the id {class_id}.")
        try:
            rows = student_rows_read(file.read_bytes())
            result = students_import(school_class=school_class, rows=rows, by=None)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except StudentFileRefused as refusal:
            raise CommandError("\n".join([f"{file} was not imported:", *map(str, refusal.errors)])) from None
        except ApplicationError as error:
            raise CommandError(error.detail) from None
        self.stdout.write(f"{school_class.name}: new students (passwords shown this once)")
        for new in result.created:
            password = new.generated_password or "(as in the file)"
            self.stdout.write(f"{new.user.username}\t{password}\t{new.user.get_full_name()}")
        if result.enrolled_existing:
            names = ", ".join(user.username for user in result.enrolled_existing)
            self.stdout.write(f"Existing students enrolled, passwords unchanged: {names}")
        if result.already_enrolled:
            self.stdout.write(f"Already in the class: {', '.join(user.username for user in result.already_enrolled)}")
