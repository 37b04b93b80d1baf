"""The student's pages: their sessions and the test page."""

from django.urls import path

from attempts import pages

urlpatterns = [
    path("my-sessions/", pages.my_sessions, name="student-sessions"),
    path("sessions/<int:session_id>/test/", pages.test_page, name="student-test"),
]
