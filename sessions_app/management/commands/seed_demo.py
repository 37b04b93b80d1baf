"""`python manage.py seed_demo`: an admin, a teacher, class "Beacon 31" with 30 students, an original Academic
Reading paper, a session of it next Monday at 20:00 (Europe/London) and the same paper open for practice (30 minutes
each, the keys shown once handed in); a Listening paper whose recordings espeak-ng makes on this machine, and a
session of it an hour before; an Academic Writing paper (Task 1's bar chart drawn here as a PNG, Task 2 an essay),
ready to schedule. Idempotent: what exists is left as it is (a part still without audio gets it)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Role, User
from accounts.services import teachers_group_ensure, user_create
from attempts.practice import practice_publish
from classes.models import Class
from classes.services import class_create
from exams.demo_listening import DEMO_LISTENING, espeak_available, spoken_wav
from exams.demo_paper import DEMO_PAPER
from exams.demo_writing import DEMO_WRITING_PAPER, bar_chart_png
from exams.models import Test
from exams.services import passage_set_audio, question_set_image, test_create
from ielts_site.clock import now
from ielts_site.errors import ApplicationError
from sessions_app.models import Session
from sessions_app.services import class_enrol, session_create

SCHOOL_TIME_ZONE = ZoneInfo("Europe/London")
CLASS_NAME = "Beacon 31"
CLASS_DESCRIPTION = "Evening IELTS preparation, Academic module (Mondays and Thursdays)."
SESSION_TITLE = "Beacon 31 — Monday mock"
LISTENING_SESSION_TITLE = "Beacon 31 — Listening mock"
PRACTICE_MINUTES = 30
ADMIN = {"username": "admin", "password": "admin-demo-pass", "first_name": "Alex", "last_name": "Carter"}
TEACHER = {"username": "teacher", "password": "teacher-demo-pass", "first_name": "Helen", "last_name": "Marsh"}
STUDENT_PASSWORD = "student-demo-pass"
STUDENT_NAMES = [
    ("Amelia", "Hughes"), ("Oliver", "Bennett"), ("Priya", "Sharma"), ("Mohammed", "Rahman"), ("Chloe", "Davies"),
    ("Wei", "Zhang"), ("Fatima", "Okafor"), ("Jack", "Thompson"), ("Sofia", "Rossi"), ("Daniel", "Kowalski"),
    ("Aisha", "Begum"), ("Lucas", "Oliveira"), ("Hannah", "Murphy"), ("Yusuf", "Demir"), ("Grace", "Adeyemi"),
    ("Thomas", "Wright"), ("Mei", "Tanaka"), ("Omar", "Haddad"), ("Isabella", "Garcia"), ("Arjun", "Patel"),
    ("Emily", "Clarke"), ("Kwame", "Mensah"), ("Zara", "Khan"), ("Mateo", "Fernández"), ("Lily", "Evans"),
    ("Hiroshi", "Sato"), ("Nadia", "Petrova"), ("Samuel", "Okonkwo"), ("Ji-woo", "Park"), ("Ella", "Robinson"),
]  # fmt: skip


def next_monday_evening(moment: datetime) -> datetime:
    """The first Monday 20:00 school time strictly after `moment` (today, if it is Monday before 20:00)."""
    local = moment.astimezone(SCHOOL_TIME_ZONE)
    for days_ahead in range(8):
        day = local.date() + timedelta(days=days_ahead)
        candidate = datetime.combine(day, time(20, 0), tzinfo=SCHOOL_TIME_ZONE)
        if day.weekday() == 0 and candidate > local:
            return candidate
    raise AssertionError("a week always has a Monday")


class Command(BaseCommand):
    help = "Create the demo school (admin, teacher, Beacon 31 with 30 students, a paper, a Monday session, a practice)."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000/", help="The address printed for logins.")

    def handle(self, *args, base_url: str, **options):
        self.created = []
        self.notes = []
        try:
            with transaction.atomic():
                session = self._seed()
        except ApplicationError as exc:
            raise CommandError(f"seed_demo: {exc.detail}") from exc
        self._report(session, base_url.rstrip("/") + "/")

    # ------------------------------------------------------------ the data, through the services

    def _seed(self) -> Session:
        teachers_group_ensure()
        self._user(role=Role.ADMIN, **ADMIN)
        teacher = self._user(role=Role.TEACHER, **TEACHER)
        students = [
            self._user(
                username=f"student{n:02d}",
                password=STUDENT_PASSWORD,
                role=Role.STUDENT,
                first_name=first,
                last_name=last,
            )  # fmt: skip
            for n, (first, last) in enumerate(STUDENT_NAMES, start=1)
        ]

        school_class = Class.objects.filter(name=CLASS_NAME).order_by("pk").first()
        if school_class is None:
            school_class = class_create(
                name=CLASS_NAME, description=CLASS_DESCRIPTION, teacher_ids=[teacher.pk], target_band=6.0,
                created_by=teacher,
            )  # fmt: skip
            self.created.append(f"class {CLASS_NAME}")
        enrolled = set(school_class.enrolments.values_list("student_id", flat=True))
        for student in students:
            if student.pk not in enrolled:
                class_enrol(school_class=school_class, student=student)
        if len(enrolled) < len(students):
            self.created.append(f"{len(students) - len(enrolled)} enrolments")

        paper = Test.objects.filter(title=DEMO_PAPER["title"]).order_by("pk").first()
        if paper is None:
            paper = test_create(**DEMO_PAPER, created_by=teacher)
            self.created.append(f"test {paper.title}")

        session = school_class.sessions.filter(title=SESSION_TITLE).order_by("pk").first()
        if session is None:
            session = session_create(
                school_class=school_class, test=paper, title=SESSION_TITLE,
                scheduled_at=next_monday_evening(now()), created_by=teacher,
            )  # fmt: skip
            self.created.append(f"session {SESSION_TITLE}")
        if not school_class.practices.filter(test__in=Test.objects.of_paper(paper.paper_id)).exists():
            practice_publish(
                school_class=school_class, test=paper, time_limit_minutes=PRACTICE_MINUTES,
                show_answers_after_submit=True, by=teacher,
            )  # fmt: skip
            self.created.append(f"practice of {paper.title}")
        self._listening(teacher, school_class)
        self._writing_paper(teacher)
        return session

    def _listening(self, teacher, school_class) -> None:
        """The Listening paper, its parts' recordings spoken by espeak-ng (skipped, with a note, without it) and a
        session of it at 19:00 before the Monday mock."""
        paper = Test.objects.latest_versions().filter(title=DEMO_LISTENING["title"]).order_by("pk").first()
        if paper is None:
            paper = test_create(**DEMO_LISTENING, created_by=teacher)
            self.created.append(f"test {paper.title}")
        silent = [passage for passage in paper.passages.order_by("order") if not passage.audio]
        if silent and not espeak_available():
            self.notes.append(
                f"{paper.title}: no audio made (espeak-ng is not installed: apt-get install espeak-ng, then run "
                "seed_demo again, or upload each part's audio)."
            )
        elif silent:
            for passage in silent:
                paper = passage_set_audio(
                    test=paper, passage_id=passage.pk, file=ContentFile(spoken_wav(passage.text)),
                    content_type="audio/wav", filename=f"demo-part-{passage.order + 1}.wav",
                )  # fmt: skip
            self.created.append(f"audio of {len(silent)} part(s)")
        if not school_class.sessions.filter(title=LISTENING_SESSION_TITLE).exists():
            session_create(
                school_class=school_class, test=paper, title=LISTENING_SESSION_TITLE,
                scheduled_at=next_monday_evening(now()) - timedelta(hours=1), created_by=teacher,
            )  # fmt: skip
            self.created.append(f"session {LISTENING_SESSION_TITLE}")

    def _writing_paper(self, teacher: User) -> Test:
        writing = Test.objects.latest_versions().filter(title=DEMO_WRITING_PAPER["title"]).order_by("pk").first()
        if writing is None:
            writing = test_create(**DEMO_WRITING_PAPER, created_by=teacher)
            self.created.append(f"test {writing.title}")
        task1 = writing.questions.get(task=1)
        if not task1.image:
            writing = question_set_image(
                test=writing, question_id=task1.pk, content=bar_chart_png(), content_type="image/png", by=teacher
            )
            self.created.append(f"the chart of {writing.title}")
        return writing

    def _user(self, *, username: str, password: str, role: str, first_name: str, last_name: str) -> User:
        existing = User.objects.filter(username__iexact=username).first()
        if existing is not None:
            return existing
        self.created.append(f"user {username}")
        return user_create(username=username, password=password, role=role, first_name=first_name, last_name=last_name)

    # ------------------------------------------------------------ what the newcomer needs to know

    def _report(self, session: Session, base_url: str) -> None:
        write = self.stdout.write
        if self.created:
            write(self.style.SUCCESS(f"Demo data created: {len(self.created)} new item(s)."))
        else:
            write(self.style.SUCCESS("Demo data already present: nothing changed."))
        when = session.scheduled_at.astimezone(SCHOOL_TIME_ZONE)
        students = session.school_class.enrolments.count()
        write(f"Class:    {session.school_class.name} ({students} students)")
        write(f"Paper:    {session.test.title} ({session.test.questions.count()} questions)")
        write(f"Session:  {session.title}: {when:%A %d %B %Y, %H:%M} Europe/London ({session.get_status_display()})")
        write(f"Practice: {session.test.title}, open to the class ({PRACTICE_MINUTES} minutes each, from My sessions)")
        write(f"Listening: {DEMO_LISTENING['title']} (session {LISTENING_SESSION_TITLE}, an hour before)")
        for note in self.notes:
            write(self.style.WARNING(f"Note: {note}"))
        write(f"Writing:  {DEMO_WRITING_PAPER['title']} (Task 1 with a chart, Task 2), ready to schedule")
        write(f"Open:     {base_url}")
        write(f"Admin:    {base_url}admin/")
        write("Logins:")
        write(f"  admin / {ADMIN['password']}  (admin)")
        write(f"  teacher / {TEACHER['password']}  (teacher of {CLASS_NAME})")
        write(f"  student01 … student{len(STUDENT_NAMES):02d} / {STUDENT_PASSWORD}  (students)")
