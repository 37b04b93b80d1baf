"""Imports: students from a CSV file into a class (the class page and `import_students`), papers from a JSON file
(the admin and `import_paper`). Each is all or nothing and reports every problem where it is."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from classes.models import Enrolment
from classes.services import class_create
from conftest import BASE_DIR as ROOT
from conftest import paper_data
from exams.models import Test
from exams.paper_file import PaperFileRefused, paper_import, paper_read
from sessions_app.models import Participant
from sessions_app.services import class_archive

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_upload(text: str, *, encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile("students.csv", text.encode(encoding), content_type="text/csv")


def import_students(client, school_class, text: str, **kwargs):
    return client.post(
        reverse("teacher-class", args=[school_class.pk]),
        {"action": "import_students", "file": csv_upload(text, **kwargs)},
    )


def enrolled_usernames(school_class) -> set[str]:
    return set(Enrolment.objects.filter(school_class=school_class).values_list("student__username", flat=True))


# ---------------------------------------------------------------- students


def test_a_good_file_creates_and_enrols_and_shows_the_generated_passwords_once(teacher, school_class, session):
    client = client_for(teacher)
    text = "username,first_name,last_name,password\namira,Amira,Haddad,\nben,Ben,Okoro,given-pass-2026\n"

    response = import_students(client, school_class, text)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "Beacon 31" in page and "teacher/student-sheet.css" in page  # its print stylesheet
    amira, ben = User.objects.get(username="amira"), User.objects.get(username="ben")
    assert amira.is_student and amira.get_full_name() == "Amira Haddad"
    generated = response.context["result"].created[0].generated_password
    assert len(generated) == 10 and generated in page and amira.check_password(generated)
    assert generated not in amira.password  # only the hash is kept
    assert ben.check_password("given-pass-2026") and "given-pass-2026" not in page
    assert {"amira", "ben"} <= enrolled_usernames(school_class)
    assert Participant.objects.filter(session=session, student__in=[amira, ben]).count() == 2  # its coming session
    assert generated not in client.get(reverse("teacher-class", args=[school_class.pk])).content.decode()


def test_an_existing_student_is_enrolled_with_their_password_untouched(teacher, make_user, school_class):
    existing = make_user("STUDENT", username="Chen", first_name="Li", last_name="Chen")
    old_hash = existing.password

    response = import_students(client_for(teacher), school_class, "username,first_name,last_name\nchen,X,Y\n")

    assert response.status_code == 200
    assert response.context["result"].enrolled_existing == [existing]
    assert not response.context["result"].created
    existing.refresh_from_db()
    assert existing.password == old_hash and existing.first_name == "Li"
    assert "Chen" in enrolled_usernames(school_class)
    assert User.objects.filter(username__iexact="chen").count() == 1


def test_a_bad_file_reports_every_problem_by_line_and_field_and_creates_nothing(teacher, school_class):
    before = User.objects.count()
    text = (
        "username,first_name,last_name\n"
        "dana,Dana,Ruiz\n"
        "bad name!,Eve,Stone\n"  # line 3
        "dana,Dana,Again\n"  # line 4
        f"teacher,Tess,{'T' * 151}\n"  # line 5: two problems
    )

    response = import_students(client_for(teacher), school_class, text)

    assert response.status_code == 400
    errors = [str(e) for e in response.context["student_file_form"].errors["file"]]
    assert errors == [
        "line 3, username: may contain only letters, digits and @ . + - _",
        "line 4, username: appears twice (first on line 2).",
        "line 5, username: already taken by a teacher.",
        "line 5, last_name: is longer than 150 characters.",
    ]
    assert "line 5, username: already taken by a teacher." in response.content.decode()
    assert User.objects.count() == before
    assert "dana" not in enrolled_usernames(school_class)


def test_a_byte_order_mark_and_semicolons_are_read(teacher, school_class):
    text = "\ufeffUsername;First_name;Last_name\r\nzoë;Zoë;Dupont\r\n"

    response = import_students(client_for(teacher), school_class, text)

    assert response.status_code == 200
    assert User.objects.get(username="zoë").get_full_name() == "Zoë Dupont"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("name,surname\nx,y\n", "line 1, header: the header row must name username, first_name, last_name"),
        ("username,first_name,last_name\n", "the file: it has no student rows under the header."),
        ("username,first_name,last_name\nann,Ann,Lee, Jr\n", "line 2: 4 values for 3 columns (quote a value that"),
        ("username,first_name,last_name\n" + "s,a,b\n" * 201, "the file: it has 201 students; import at most 200"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused(teacher, school_class, text, error):
    response = import_students(client_for(teacher), school_class, text)

    assert response.status_code == 400
    assert str(response.context["student_file_form"].errors["file"][0]).startswith(error)


def test_a_file_not_in_utf8_is_refused(teacher, school_class):
    response = import_students(client_for(teacher), school_class, "username,first_name,last_name\nzoé,Zoé,D\n",
                               encoding="latin-1")  # fmt: skip

    assert response.status_code == 400
    assert "not UTF-8" in str(response.context["student_file_form"].errors["file"][0])


def test_a_teacher_imports_into_their_own_classes_only_and_students_not_at_all(make_user, school_class, students):
    other_teacher = make_user("TEACHER", username="other")
    text = "username,first_name,last_name\nintruder,In,Truder\n"

    assert import_students(client_for(other_teacher), school_class, text).status_code == 404
    assert import_students(client_for(students[0]), school_class, text).status_code == 403
    assert not User.objects.filter(username="intruder").exists()
    own_class = class_create(name="Other's class", created_by=other_teacher)
    assert import_students(client_for(other_teacher), own_class, text).status_code == 200


def test_the_command_imports_and_prints_the_sheet(tmp_path, school_class, make_user):
    make_user("STUDENT", username="old")
    path = tmp_path / "students.csv"
    path.write_text("username;first_name;last_name\nnew1;New;One\nold;Old;Timer\n", encoding="utf-8-sig")
    out = io.StringIO()

    call_command("import_students", str(school_class.pk), str(path), stdout=out)

    new = User.objects.get(username="new1")
    line = next(line for line in out.getvalue().splitlines() if line.startswith("new1\t"))
    assert new.check_password(line.split("\t")[1])
    assert "Existing students enrolled, passwords unchanged: old" in out.getvalue()
    assert {"new1", "old"} <= enrolled_usernames(school_class)


def test_the_command_reports_every_problem_and_imports_nothing(tmp_path, school_class):
    path = tmp_path / "students.csv"
    path.write_text("username,first_name,last_name\nok1,A,B\nteacher,T,T\nok1,A,B\n")

    with pytest.raises(CommandError) as refused:
        call_command("import_students", str(school_class.pk), str(path))

    assert "line 3, username: already taken by a teacher." in str(refused.value)
    assert "line 4, username: appears twice (first on line 2)." in str(refused.value)
    assert not User.objects.filter(username="ok1").exists()


def test_an_archived_class_takes_no_import(teacher, school_class):
    class_archive(school_class=school_class)

    response = import_students(client_for(teacher), school_class, "username,first_name,last_name\nlate,La,Te\n")

    assert response.status_code == 409
    assert not User.objects.filter(username="late").exists()


# ---------------------------------------------------------------- papers


def paper_upload(data) -> SimpleUploadedFile:
    content = data if isinstance(data, bytes) else json.dumps(data).encode()
    return SimpleUploadedFile("paper.json", content, content_type="application/json")


def bad_paper() -> dict:
    """Three problems, each at its own path."""
    data = paper_data()
    data["passages"][0]["questions"][1]["answers"] = []
    data["passages"][1]["text"] = ""
    data["passages"][1]["audio"] = "section2.mp3"
    return data


def test_the_documented_example_imports(teacher):
    doc = (ROOT / "docs" / "paper-format.md").read_text()
    example = re.search(r"## Example\s+```json\n(.*?)```", doc, re.S).group(1)

    test = paper_import(paper=paper_read(example.encode()), owner=teacher)

    assert test.title == "Academic Reading: The wool trade" and test.created_by == teacher
    assert list(test.questions.order_by("number").values_list("answers", flat=True)) == [["TRUE"], ["B"], ["Flanders"]]


def test_a_bad_paper_reports_every_path_and_creates_nothing():
    with pytest.raises(PaperFileRefused) as refused:
        paper_read(json.dumps(bad_paper()).encode())

    assert set(refused.value.errors) == {
        "passages.0.questions.1.answers",
        "passages.1.text",
        "passages.1.audio",
    }
    assert "passages.1.audio: Audio and image files are not supported yet; remove this field." in refused.value.lines()
    assert not Test.objects.exists()


def test_the_paper_rules_after_the_serializer_refuse_the_whole_paper(teacher):
    data = paper_data()
    data["passages"][1]["questions"][0]["number"] = 9

    with pytest.raises(PaperFileRefused) as refused:
        paper_import(paper=paper_read(json.dumps(data).encode()), owner=teacher)

    assert list(refused.value.errors) == ["paper"]
    assert not Test.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe{", "The file is not UTF-8 text."),
        (b'{"title": ', "The file is not JSON: Expecting value at line 1, column 11."),
        (b"[]", "The file must hold one JSON object: the paper."),
    ],
)
def test_a_file_that_is_not_a_paper_is_refused(content, message):
    with pytest.raises(PaperFileRefused) as refused:
        paper_read(content)

    assert refused.value.lines() == [f"paper: {message}"]


def test_the_admin_imports_a_paper_for_its_uploader(teacher):
    client = client_for(teacher)
    changelist = client.get(reverse("admin:exams_test_changelist"))
    assert reverse("admin:exams_test_import") in changelist.content.decode()

    response = client.post(reverse("admin:exams_test_import"), {"file": paper_upload(paper_data())})

    test = Test.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:exams_test_change", args=[test.pk])
    assert test.created_by == teacher and test.questions.count() == 4


def test_the_admin_shows_every_problem_and_imports_nothing(teacher):
    response = client_for(teacher).post(reverse("admin:exams_test_import"), {"file": paper_upload(bad_paper())})

    assert response.status_code == 400
    page = response.content.decode()
    for path in ("passages.0.questions.1.answers", "passages.1.text", "passages.1.audio"):
        assert f"{path}: " in page
    assert "Nothing was imported" in page
    assert not Test.objects.exists()


def test_students_may_not_import_papers(students):
    response = client_for(students[0]).post(reverse("admin:exams_test_import"), {"file": paper_upload(paper_data())})

    assert response.status_code == 302 and "/login/" in response.url  # the admin's own gate
    assert not Test.objects.exists()


def test_the_command_imports_a_paper_for_its_owner(tmp_path, teacher):
    path = tmp_path / "paper.json"
    path.write_text(json.dumps(paper_data()))
    out = io.StringIO()

    call_command("import_paper", str(path), "--owner", "teacher", stdout=out)

    test = Test.objects.get()
    assert test.created_by == teacher
    assert f"(id {test.pk}): 2 passage(s), 4 question(s)" in out.getvalue()


def test_the_command_reports_every_path_and_imports_nothing(tmp_path, students):
    path = tmp_path / "paper.json"
    path.write_text(json.dumps(bad_paper()))

    with pytest.raises(CommandError) as refused:
        call_command("import_paper", str(path))
    with pytest.raises(CommandError, match="No teacher or admin"):
        call_command("import_paper", str(path), "--owner", students[0].username)

    assert "passages.0.questions.1.answers: " in str(refused.value)
    assert "passages.1.text: " in str(refused.value)
    assert not Test.objects.exists()
