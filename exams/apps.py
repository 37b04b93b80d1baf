from django.apps import AppConfig


class ExamsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exams"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from exams.models import Passage, Question

        for model in (Passage, Question):
            post_save.connect(_paper_changed, sender=model, dispatch_uid=f"exams.paper_changed.{model.__name__}")
            post_delete.connect(_paper_changed, sender=model, dispatch_uid=f"exams.paper_deleted.{model.__name__}")


def _paper_changed(sender, instance, **kwargs):
    """A passage or question changed: its paper's updated_at moves, so every process reads its shape again."""
    from django.utils import timezone

    from exams.models import Test

    Test.objects.filter(pk=instance.test_id).update(updated_at=timezone.now())
