from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """The teacher's pages: dashboard, class page, live monitor, results and timelines."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"
