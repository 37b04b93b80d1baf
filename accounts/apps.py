from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _teachers_group_current(sender, using="default", **kwargs):
    """After every migrate, the Teachers group holds the permissions of TEACHER_PERMISSIONS (a new model's too, once
    its permissions exist), so teachers of an existing database get what a new release gives them."""
    if sender.name != "attempts":  # the last of our apps whose models teachers use: every permission exists by now
        return
    from accounts.services import teachers_group_ensure

    teachers_group_ensure()


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from accounts import signals  # noqa: F401  (connects the token revocation)

        post_migrate.connect(_teachers_group_current, dispatch_uid="accounts.teachers_group_current")
