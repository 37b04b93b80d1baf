"""The paper editor's pages, under /teacher/papers/ (monitoring.views.papers)."""

from django.urls import path

from monitoring.views import papers

urlpatterns = [
    path("", papers.paper_list, name="teacher-papers"),
    path("new/", papers.paper_new, name="teacher-paper-new"),
    path("preview/", papers.paper_preview, name="teacher-paper-preview"),
    path("<int:paper_id>/edit/", papers.paper_edit, name="teacher-paper-edit"),
]
