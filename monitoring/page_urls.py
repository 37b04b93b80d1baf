"""The teacher's pages: dashboard, class, live monitor, results (and CSV), an attempt's timeline."""

from django.urls import path

from monitoring import pages

urlpatterns = [
    path("teacher/", pages.dashboard, name="teacher-dashboard"),
    path("teacher/classes/<int:class_id>/", pages.class_detail, name="teacher-class"),
    path("teacher/sessions/<int:session_id>/live/", pages.live, name="teacher-live"),
    path("teacher/sessions/<int:session_id>/results/", pages.results, name="teacher-results"),
    path("teacher/sessions/<int:session_id>/results.csv", pages.results_csv, name="teacher-results-csv"),
    path("teacher/attempts/<int:attempt_id>/timeline/", pages.timeline, name="teacher-timeline"),
]
