from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "realtime"

    def ready(self):
        from realtime import db, events
        from realtime.access import connect_receivers

        events.defer_sends_with(db.call_later_on_loop)
        connect_receivers()
