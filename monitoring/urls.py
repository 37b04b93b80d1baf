"""The teacher's pages: dashboard, class (its forms post to the same URL), a practice's results, live monitor,
results (and CSV), Writing to mark, an attempt's timeline (and the review of one of its violations)."""

from django.urls import include, path

from monitoring.views import class_page, dashboard, live, practice, results, timeline, trends, writing

urlpatterns = [
    path("teacher/", dashboard.dashboard, name="teacher-dashboard"),
    path("teacher/papers/", include("monitoring.paper_urls")),
    path("teacher/classes/<int:class_id>/", class_page.class_page, name="teacher-class"),
    path("teacher/classes/<int:class_id>/trends/", trends.trends, name="teacher-trends"),
    path("teacher/classes/<int:class_id>/trends.csv", trends.trends_csv, name="teacher-trends-csv"),
    path(
        "teacher/classes/<int:class_id>/students/<int:student_id>/trends/",
        trends.student_trends,
        name="teacher-student-trends",
    ),
    path("teacher/practice/<int:practice_id>/", practice.practice, name="teacher-practice"),
    path("teacher/sessions/<int:session_id>/live/", live.live, name="teacher-live"),
    path("teacher/sessions/<int:session_id>/live/feed/", live.live_feed, name="teacher-live-feed"),
    path("teacher/sessions/<int:session_id>/results/", results.results, name="teacher-results"),
    path("teacher/sessions/<int:session_id>/results/release/", results.results_release, name="teacher-results-release"),
    path("teacher/sessions/<int:session_id>/results.csv", results.results_csv, name="teacher-results-csv"),
    path("teacher/sessions/<int:session_id>/writing/", writing.writing, name="teacher-writing"),
    path("teacher/attempts/<int:attempt_id>/timeline/", timeline.timeline, name="teacher-timeline"),
    path(
        "teacher/attempts/<int:attempt_id>/violations/<int:violation_id>/review/",
        timeline.review_violation,
        name="teacher-violation-review",
    ),
]
