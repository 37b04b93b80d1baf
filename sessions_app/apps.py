from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sessions_app"
    verbose_name = "Sessions"

    def ready(self):
        from attempts.signals import attempt_counts_changed
        from ielts_site.ops.metrics import REGISTRY
        from sessions_app.metrics import SessionsCollector
        from sessions_app.services import live_stats_changed

        attempt_counts_changed.connect(live_stats_changed, dispatch_uid="sessions_app.live_stats")
        REGISTRY.register(SessionsCollector())
