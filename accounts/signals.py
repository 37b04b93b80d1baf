"""A user whose password changes or who is deactivated loses every refresh token, whatever path saved them (the API,
the admin, a service, a management command): the rule hangs on the model's save."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.models import User
from accounts.services import user_refresh_tokens_revoke

_WATCHED = {"password", "is_active"}


@receiver(pre_save, sender=User, dispatch_uid="accounts.remember_credentials")
def remember_credentials(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None or (update_fields is not None and not _WATCHED & set(update_fields)):
        instance._saved_credentials = None
        return
    instance._saved_credentials = User.objects.filter(pk=instance.pk).values("password", "is_active").first()


@receiver(post_save, sender=User, dispatch_uid="accounts.revoke_tokens_on_credential_change")
def revoke_tokens_on_credential_change(sender, instance, created, raw=False, **kwargs):
    before = getattr(instance, "_saved_credentials", None)
    instance._saved_credentials = None
    if created or raw or before is None:
        return
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        user_refresh_tokens_revoke(user=instance)
