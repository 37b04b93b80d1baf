"""Login forms that say when a locked-out username may try again (the web login and the admin's)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.lockout import lockout_message, login_retry_after

LOCKED_OUT = "locked_out"


class LockoutAwareMixin:
    """A refused login whose username and address are locked out gets the lockout's message instead of "wrong
    password" (the lockout refuses the right password too)."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            retry_after = login_retry_after(self.request, self.cleaned_data.get("username"))
            if retry_after is not None:
                raise ValidationError(lockout_message(retry_after), code=LOCKED_OUT) from None
            raise


class LockoutAwareAuthenticationForm(LockoutAwareMixin, AuthenticationForm):
    pass


class LockoutAwareAdminAuthenticationForm(LockoutAwareMixin, AdminAuthenticationForm):
    pass
