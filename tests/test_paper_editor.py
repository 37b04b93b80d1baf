"""The paper editor without a browser: a paper written and changed through its forms, messages named by question
and field with nothing saved, the shared matching headings, the preview, versions, and who may open what."""

import pytest
from django.test import Client
from django.urls import reverse

from exams.models import Test
from exams.services import test_create
from sessions_app.services import session_open_waiting_room, session_start

pytestmark = pytest.mark.django_db

HEADINGS = ["i  The rise of wool", "ii  A trade in decline", "iii  New markets"]


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def question(number, qtype, answers, **fields):
    return {"number": number, "type": qtype, "prompt": f"Prompt {number}", "options": [], "answers": answers,
            "word_limit": None, **fields}  # fmt: skip


def wool_paper():
    """Two passages: judgements and a run of matching-headings questions sharing one list, then completion."""
    return {
        "title": "Wool and trade",
        "module": "ACADEMIC_READING",
        "time_limit_minutes": 20,
        "passages": [
            {
                "title": "The wool trade",
                "text": "Wool made the town rich. Then the trade fell away.",
                "shared_options": HEADINGS,
                "questions": [
                    question(1, "TRUE_FALSE_NOT_GIVEN", ["TRUE"]),
                    question(2, "MATCHING", ["ii"], uses_shared_options=True),
                    question(3, "MATCHING", ["iii"], uses_shared_options=True),
                ],
            },
            {
                "title": "Markets",
                "text": "Merchants sold red wool abroad.",
                "shared_options": [],
                "questions": [
                    question(4, "MULTIPLE_CHOICE", ["B"], options=["A  salt", "B  red wool", "C  timber"]),
                    question(5, "SENTENCE_COMPLETION", ["red wool"], word_limit=2),
                ],
            },
        ],
    }


def editor_post(paper) -> dict:
    """The editor's form as the browser posts it (its formsets' names and management fields)."""
    data = {key: paper[key] for key in ("title", "module", "time_limit_minutes")}
    data |= {"passage-TOTAL_FORMS": len(paper["passages"]), "passage-INITIAL_FORMS": 0}
    for p, passage in enumerate(paper["passages"]):
        prefix = f"passage-{p}"
        data |= {f"{prefix}-title": passage["title"], f"{prefix}-text": passage["text"],
                 f"{prefix}-shared_options": "\n".join(passage.get("shared_options", [])),
                 f"{prefix}-question-TOTAL_FORMS": len(passage["questions"]),
                 f"{prefix}-question-INITIAL_FORMS": 0}  # fmt: skip
        for q, row in enumerate(passage["questions"]):
            qprefix = f"{prefix}-question-{q}"
            data |= {f"{qprefix}-number": row["number"], f"{qprefix}-type": row["type"],
                     f"{qprefix}-prompt": row["prompt"], f"{qprefix}-options": "\n".join(row["options"]),
                     f"{qprefix}-answers": "\n".join(row["answers"]),
                     f"{qprefix}-word_limit": row["word_limit"] or ""}  # fmt: skip
            if row.get("evidence"):
                data |= {f"{qprefix}-evidence_start": row["evidence"]["position_start"],
                         f"{qprefix}-evidence_end": row["evidence"]["position_end"]}  # fmt: skip
            if row.get("uses_shared_options"):
                data[f"{qprefix}-uses_shared_options"] = "on"
    return data


def question_form(response, number):
    """The bound form of question `number` (by its place in the paper) on a re-rendered editor."""
    forms = [f for passage in response.context["editor"].passages.forms for f in passage.questions.forms]
    return forms[number - 1]


# ---------------------------------------------------------------- writing a paper


def test_a_teacher_writes_a_paper_in_the_editor(teacher):
    client = client_for(teacher)
    assert client.get(reverse("teacher-paper-new")).status_code == 200
    response = client.post(reverse("teacher-paper-new"), editor_post(wool_paper()))
    paper = Test.objects.get(title="Wool and trade")
    assert response.status_code == 302
    assert response["Location"] == reverse("teacher-paper-edit", args=[paper.paper_id])
    assert paper.created_by == teacher
    assert (paper.module, paper.time_limit_minutes, paper.version) == ("ACADEMIC_READING", 20, 1)
    assert [p.title for p in paper.passages.order_by("order")] == ["The wool trade", "Markets"]
    stored = {q.number: q for q in paper.questions.all()}
    assert [stored[n].type for n in range(1, 6)] == [
        "TRUE_FALSE_NOT_GIVEN", "MATCHING", "MATCHING", "MULTIPLE_CHOICE", "SENTENCE_COMPLETION"
    ]  # fmt: skip
    assert stored[4].options == ["A  salt", "B  red wool", "C  timber"]
    assert stored[5].answers == ["red wool"] and stored[5].word_limit == 2
    assert stored[1].options == [] and stored[1].word_limit is None


def test_shared_headings_are_stored_on_each_matching_question(teacher):
    client_for(teacher).post(reverse("teacher-paper-new"), editor_post(wool_paper()))
    paper = Test.objects.get(title="Wool and trade")
    matching = paper.questions.filter(type="MATCHING").order_by("number")
    assert [q.options for q in matching] == [HEADINGS, HEADINGS]
    assert [q.answers for q in matching] == [["ii"], ["iii"]]


def test_the_editor_shows_a_stored_papers_shared_headings_once(teacher):
    client = client_for(teacher)
    client.post(reverse("teacher-paper-new"), editor_post(wool_paper()))
    paper = Test.objects.get(title="Wool and trade")
    editor = client.get(reverse("teacher-paper-edit", args=[paper.paper_id])).context["editor"]
    first = editor.passages.forms[0]
    assert first["shared_options"].value() == "\n".join(HEADINGS)
    matching = first.questions.forms[1:]
    assert [f["uses_shared_options"].value() for f in matching] == [True, True]
    assert [f["options"].value() for f in matching] == ["", ""]


# ---------------------------------------------------------------- messages, and nothing saved


@pytest.mark.parametrize(
    ("change", "number", "field", "message"),
    [
        (lambda p: p["passages"][0]["questions"][2].update(answers=[]), 3, "answers",
         "Question 3: add at least one accepted answer."),
        (lambda p: p["passages"][1]["questions"][0].update(number=7), 4, "number",
         "Question 4: number the questions 1..N in order across the paper: this one is 4."),
        (lambda p: p["passages"][1]["questions"][1].update(type="ESSAYISH"), 5, "type",
         "Question 5: Select a valid choice. ESSAYISH is not one of the available choices."),
        (lambda p: p["passages"][0].update(shared_options=[]), 2, "uses_shared_options",
         "Question 2: the passage has no headings list: write it, or give this question its own options."),
        (lambda p: p["passages"][0]["questions"][0].update(answers=["T"]), 1, "answers",
         "Question 1: “T” is not a choice the student has (TRUE, FALSE, NOT GIVEN)."),
        (lambda p: p["passages"][1]["questions"][0].update(answers=["D"]), 4, "answers",
         "Question 4: “D” is not a choice the student has (A, B, C)."),
        (lambda p: p["passages"][1]["questions"][1].update(answers=["the red wool"]), 5, "answers",
         "Question 5: “the red wool” is longer than the word limit, so it could never count."),
        (lambda p: p["passages"][1]["questions"][0].update(options=[]), 4, "options",
         "Question 4: add the options, one per line (e.g. “A  The first option”)."),
    ],
)  # fmt: skip
def test_a_question_that_is_not_right_is_named_beside_its_field_and_nothing_is_saved(
    teacher, change, number, field, message
):
    paper = wool_paper()
    change(paper)
    response = client_for(teacher).post(reverse("teacher-paper-new"), editor_post(paper))
    assert response.status_code == 400
    assert question_form(response, number).errors[field] == [message]
    assert message in response.content.decode().replace("&quot;", '"')
    assert not Test.objects.exists()


def test_a_passage_without_text_or_questions_is_named(teacher):
    paper = wool_paper()
    paper["passages"][1].update(text="", questions=[])
    response = client_for(teacher).post(reverse("teacher-paper-new"), editor_post(paper))
    assert response.status_code == 400
    second = response.context["editor"].passages.forms[1]
    assert second.errors["text"] == ["Passage 2: add its text."]
    assert second.non_field_errors() == ["Passage 2: add at least one question."]
    assert not Test.objects.exists()


def test_a_paper_without_passages_is_refused(teacher):
    paper = {**wool_paper(), "passages": [], "title": ""}
    response = client_for(teacher).post(reverse("teacher-paper-new"), editor_post(paper))
    assert response.status_code == 400
    assert response.context["editor"].errors == ["Title: This field is required.", "Add at least one passage."]
    assert not Test.objects.exists()


# ---------------------------------------------------------------- editing, versions, preview


def test_editing_an_unused_paper_changes_it_in_place(teacher):
    client = client_for(teacher)
    client.post(reverse("teacher-paper-new"), editor_post(wool_paper()))
    paper = Test.objects.get()
    changed = wool_paper()
    changed["title"] = "Wool, revised"
    del changed["passages"][1]
    response = client.post(reverse("teacher-paper-edit", args=[paper.paper_id]), editor_post(changed))
    assert response.status_code == 302
    paper.refresh_from_db()
    assert (paper.title, paper.version, paper.questions.count()) == ("Wool, revised", 1, 3)


def test_the_editor_keeps_and_checks_evidence_spans(teacher):
    client = client_for(teacher)
    paper = wool_paper()
    paper["passages"][0]["questions"][0]["evidence"] = {"position_start": 0, "position_end": 23}
    client.post(reverse("teacher-paper-new"), editor_post(paper))
    test = Test.objects.get()
    assert test.questions.get(number=1).evidence["position_end"] == 23

    page = client.get(reverse("teacher-paper-edit", args=[test.paper_id]))
    assert question_form(page, 1)["evidence_end"].value() == 23
    paper["passages"][0]["questions"][0]["evidence"] = {"position_start": 0, "position_end": 999}
    refused = client.post(reverse("teacher-paper-edit", args=[test.paper_id]), editor_post(paper))
    assert refused.status_code == 400 and "evidence span must lie in its passage" in refused.content.decode()
    paper["passages"][0]["questions"][0]["evidence"] = {"position_start": 5, "position_end": 2}
    refused = client.post(reverse("teacher-paper-edit", args=[test.paper_id]), editor_post(paper))
    assert refused.status_code == 400 and "ends after it starts" in refused.content.decode()


def test_editing_a_paper_a_session_ran_on_makes_the_next_version(teacher, session, students, connect_student):
    session_open_waiting_room(session=session)
    connect_student(session, students[0])
    session_start(session=session)
    client = client_for(teacher)
    url = reverse("teacher-paper-edit", args=[session.test.paper_id])
    page = client.get(url).content.decode()
    assert "Version 1" in page
    assert "Saving makes version 2; sessions that already ran keep version 1." in page
    response = client.post(url, editor_post(wool_paper()))
    assert response.status_code == 302
    latest = Test.objects.of_paper(session.test.paper_id).latest_versions().get()
    assert (latest.version, latest.title, latest.questions.count()) == (2, "Wool and trade", 5)
    session.refresh_from_db()
    assert session.test.version == 1 and session.test.questions.count() == 4
    listed = client.get(reverse("teacher-papers")).context["papers"]
    assert [(p.paper_id, p.version) for p in listed] == [(session.test.paper_id, 2)]
    assert "Saving makes version" not in client.get(url).content.decode()  # no one has taken version 2 yet


def test_the_preview_shows_the_paper_as_a_student_sees_it_without_keys(teacher):
    paper = wool_paper()
    paper["passages"][1]["questions"][1]["answers"] = ["crimsonwool"]
    response = client_for(teacher).post(reverse("teacher-paper-preview"), editor_post(paper))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Questions 2–3" in page and "Choose the correct heading for each paragraph" in page
    assert "List of headings" in page
    # The shared headings once above the run, and read out by screen readers with each question's choice.
    assert page.count('<span class="letter">ii</span> A trade in decline') == 1
    assert "NO MORE THAN TWO WORDS" in page
    assert "crimsonwool" not in page
    assert not Test.objects.exists()


def test_the_preview_of_a_form_that_is_not_a_paper_lists_its_problems(teacher):
    paper = wool_paper()
    paper["passages"][0]["questions"][0]["answers"] = []
    response = client_for(teacher).post(reverse("teacher-paper-preview"), editor_post(paper))
    assert response.status_code == 400
    assert "Question 1: add at least one accepted answer." in response.content.decode()


# ---------------------------------------------------------------- who may open what


def test_a_teacher_sees_and_edits_only_their_own_papers(teacher, make_user, paper):
    other = make_user("TEACHER", username="otto")
    theirs = test_create(**{**wool_paper(), "title": "Otto's paper"}, created_by=other)
    client = client_for(teacher)
    listing = client.get(reverse("teacher-papers"))
    assert [p.title for p in listing.context["papers"]] == [paper.title]
    url = reverse("teacher-paper-edit", args=[theirs.paper_id])
    assert client.get(url).status_code == 404
    assert client.post(url, editor_post(wool_paper())).status_code == 404
    assert Test.objects.get(pk=theirs.pk).title == "Otto's paper"
    assert client_for(other).get(url).status_code == 200


def test_an_admin_may_open_every_paper(admin_user, paper):
    client = client_for(admin_user)
    assert paper.title in client.get(reverse("teacher-papers")).content.decode()
    assert client.get(reverse("teacher-paper-edit", args=[paper.paper_id])).status_code == 200


def test_a_paper_of_too_many_passages_is_refused_without_building_them(teacher):
    data = {**editor_post(wool_paper()), "passage-TOTAL_FORMS": 100000}
    response = client_for(teacher).post(reverse("teacher-paper-new"), data)
    assert response.status_code == 400
    assert "A paper has at most 10 passages." in response.context["editor"].errors
    assert not Test.objects.exists()


def test_students_are_refused_and_visitors_sent_to_log_in(students, paper):
    urls = [reverse("teacher-papers"), reverse("teacher-paper-new"),
            reverse("teacher-paper-edit", args=[paper.paper_id])]  # fmt: skip
    for url in urls:
        assert client_for(students[0]).get(url).status_code == 403
        response = client_for().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client_for(students[0]).post(reverse("teacher-paper-preview"), editor_post(wool_paper())).status_code == 403


def test_the_dashboard_links_to_the_papers(teacher):
    page = client_for(teacher).get(reverse("teacher-dashboard")).content.decode()
    assert f'href="{reverse("teacher-papers")}"' in page
