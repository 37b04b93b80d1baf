"""`python -m bench.setup_school --spec spec.json --out data.json`: the load benchmark's school, in bulk.

For bench/ only (never for real users): thousands of students in seconds. Users get an unusable
password (no hashing at all) and an access token minted directly; classes, enrolments, sessions,
participants, attempts and answers are written with bulk_create into the state each scenario needs.
The spec names groups of classes:

    {"students": 5000, "groups": [
      {"name": "p1-s1", "classes": 10, "students_per_class": 40, "sessions_per_class": 1,
       "status": "IN_PROGRESS", "answers_per_student": 0, "password": false}, ...]}

Every group takes its students from one pool (a student may sit in several groups); each class has
its own teacher. A group with `"password": true` gives its teacher and students a real password
(BENCH_PASSWORD, hashed once with the configured hasher: each login still pays the full hash), for the
scenarios that log in through the login page. The output lists, per group, each session with its
teacher and students (with usernames for a password group), the paper's question ids and passages, an
admin (a superuser, for the REST scenario that creates users), and a token per user.

Run from the repository's root with the environment bench/run.py gives its servers (DATABASE_URL of the bench
database; DJANGO_SETTINGS_MODULE defaults to ielts_site.settings, as for manage.py). Importing this module sets
Django up: it is a script of bench/, not part of the project's apps, so the production image leaves it out.
"""

# The project's imports follow django.setup(), which reads the settings first.
# ruff: noqa: E402
import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ielts_site.settings")
django.setup()

from django.contrib.auth.hashers import make_password
from django.db import transaction
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Role, User
from attempts.models import Answer, Attempt
from classes.models import Class, Enrolment
from exams.models import Test
from exams.services import test_create
from ielts_site.clock import now
from sessions_app.models import Participant, Session, SessionStatus

PAPER_TITLE = "Benchmark paper (40 questions)"
UNUSABLE_PASSWORD = "!bench-no-login"  # a hash that no password matches: these users log in by token only
BENCH_PASSWORD = "wool-trade-1187-bench"  # the password of a `"password": true` group's users (and bench/ REST users)
TOKEN_LIFETIME = timedelta(hours=3)
STATUSES = {SessionStatus.WAITING_FOR_STUDENTS, SessionStatus.IN_PROGRESS}


def paper_data(questions: int = 40, passages: int = 3) -> dict:
    per_passage = -(-questions // passages)
    content, number = [], 0
    for p in range(passages):
        items = []
        while len(items) < per_passage and number < questions:
            number += 1
            items.append(
                {"number": number, "type": "SHORT_ANSWER", "prompt": f"Question {number}", "options": [],
                 "answers": [f"answer {number}"], "word_limit": 3}
            )  # fmt: skip
        text = f"Passage {p + 1}. The wool trade of the northern towns grew quickly in the twelfth century. " * 20
        content.append({"title": f"Passage {p + 1}", "text": text, "questions": items})
    return {"title": PAPER_TITLE, "module": "ACADEMIC_READING", "time_limit_minutes": 300, "passages": content}


def token_for(user: User) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=TOKEN_LIFETIME)
    token["role"] = user.effective_role
    return str(token)


def users_named(names: list[str], role: str, **extra) -> list[User]:
    User.objects.bulk_create(
        [
            User(username=n, role=role, first_name="Bench", last_name=n, password=UNUSABLE_PASSWORD, **extra)
            for n in names
        ],
        ignore_conflicts=True,
    )
    by_name = {u.username: u for u in User.objects.filter(username__in=names)}
    return [by_name[n] for n in names]


def create(spec: dict, prefix: str) -> dict:
    paper = Test.objects.filter(title=PAPER_TITLE).order_by("pk").first() or test_create(**paper_data())
    question_ids = list(paper.questions.order_by("number").values_list("pk", flat=True))
    pool = users_named([f"{prefix}s{n:05d}" for n in range(1, spec["students"] + 1)], Role.STUDENT)
    [admin] = users_named([f"{prefix}admin"], Role.ADMIN, is_superuser=True, is_staff=True)
    password_hash = None  # one hash for every password user: a login checks it at the hasher's full cost
    moment = now()
    groups, teachers, next_student = {}, [], 0
    for group in spec["groups"]:
        status = group.get("status", SessionStatus.IN_PROGRESS)
        per_class = group["students_per_class"]
        names = [f"{prefix}t-{group['name']}-{c}" for c in range(group["classes"])]
        group_teachers = users_named(names, Role.TEACHER)
        teachers += group_teachers
        classes = Class.objects.bulk_create([Class(name=f"Bench {group['name']} {c}") for c in range(group["classes"])])
        Class.teachers.through.objects.bulk_create(
            [Class.teachers.through(class_id=k.pk, user_id=t.pk) for k, t in zip(classes, group_teachers, strict=True)]
        )
        members = {}
        for klass in classes:
            members[klass.pk] = [pool[(next_student + i) % len(pool)] for i in range(per_class)]
            next_student += per_class
        Enrolment.objects.bulk_create(
            [Enrolment(school_class=k, student=s) for k in classes for s in members[k.pk]], ignore_conflicts=True
        )
        started = status == SessionStatus.IN_PROGRESS
        sessions = Session.objects.bulk_create(
            [
                Session(
                    school_class=k,
                    test=paper,
                    title=f"Bench {group['name']} {k.pk}.{n}",
                    status=status,
                    scheduled_at=moment,
                    started_at=moment if started else None,
                    ends_at=moment + timedelta(hours=5) if started else None,
                    created_by=teacher,
                )  # fmt: skip
                for k, teacher in zip(classes, group_teachers, strict=True)
                for n in range(group.get("sessions_per_class", 1))
            ]
        )
        Participant.objects.bulk_create(
            [Participant(session=s, student=st) for s in sessions for st in members[s.school_class_id]]
        )
        attempts = {}
        if started:
            created = Attempt.objects.bulk_create(
                [
                    Attempt(session=s, student=st, test=paper, started_at=moment)
                    for s in sessions
                    for st in members[s.school_class_id]
                ]
            )
            attempts = {(a.session_id, a.student_id): a.pk for a in created}
            answered = group.get("answers_per_student", 0)
            Answer.objects.bulk_create(
                [
                    Answer(attempt=a, question_id=qid, answer=f"answer {i + 1}" if i % 3 else "wrong")
                    for a in created
                    for i, qid in enumerate(question_ids[:answered])
                ]
            )
        named = bool(group.get("password"))
        if named:
            password_hash = password_hash or make_password(BENCH_PASSWORD)
            users = [*group_teachers, *(st for k in classes for st in members[k.pk])]
            User.objects.filter(pk__in=[u.pk for u in users]).update(password=password_hash)
        teacher_of = dict(zip((k.pk for k in classes), group_teachers, strict=True))
        groups[group["name"]] = [
            {
                "session_id": s.pk,
                "class_id": s.school_class_id,
                "status": status,
                "teacher_id": teacher_of[s.school_class_id].pk,
                **({"teacher_username": teacher_of[s.school_class_id].username} if named else {}),
                "students": [
                    {
                        "id": st.pk,
                        "attempt_id": attempts.get((s.pk, st.pk)),
                        **({"username": st.username} if named else {}),
                    }
                    for st in members[s.school_class_id]
                ],  # fmt: skip
            }
            for s in sessions
        ]
    tokens = {str(u.pk): token_for(u) for u in [*pool, *teachers, admin]}
    passages = [{"id": p.pk, "text": p.text} for p in paper.passages.order_by("order", "pk")]
    return {
        "paper_id": paper.pk, "question_ids": question_ids, "passages": passages, "groups": groups,
        "tokens": tokens, "admin_id": admin.pk, "password": BENCH_PASSWORD if password_hash else None,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create the load benchmark's users, classes and sessions in bulk.")
    parser.add_argument("--spec", required=True, help="JSON file: the pool size and the groups to create.")
    parser.add_argument("--out", required=True, help="Where to write ids and tokens (JSON).")
    parser.add_argument("--prefix", default="bench", help="Username prefix of the benchmark's users.")
    args = parser.parse_args(argv)
    spec_data = json.loads(Path(args.spec).read_text())
    for group in spec_data["groups"]:
        if group.get("status", SessionStatus.IN_PROGRESS) not in STATUSES:
            parser.error(f"group {group['name']}: status must be one of {sorted(STATUSES)}")
    with transaction.atomic():
        data = create(spec_data, args.prefix)
    Path(args.out).write_text(json.dumps(data))
    sessions = sum(len(g) for g in data["groups"].values())
    print(f"setup_school: {len(data['tokens'])} users, {sessions} sessions → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
