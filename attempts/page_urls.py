"""The student's pages: their sessions and the test page."""

from django.urls import path

from attempts import pages

urlpatterns = [
    path("my-sessions/", pages.my_sessions, name="student-sessions"),
    path("sessions/<int:session_id>/test/", pages.test_page, name="student-test"),
    path("practice/<int:practice_id>/start/", pages.practice_start, name="student-practice-start"),
    path("practice/attempts/<int:attempt_id>/", pages.practice_attempt_page, name="student-practice-attempt"),
]
