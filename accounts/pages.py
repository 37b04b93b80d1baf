"""Server-rendered account pages: the login form and the role-aware landing page."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect
from django.urls import reverse

from accounts.forms import LOCKED_OUT, LockoutAwareAuthenticationForm


def staff_home_url() -> str:
    """Teachers and admins land on the teacher dashboard."""
    return reverse("teacher-dashboard")


@login_required
def home(request):
    """`/`: students go to their sessions, teachers and admins to the dashboard."""
    if request.user.is_student:
        return redirect("student-sessions")
    return redirect(staff_home_url())


class LoginView(auth_views.LoginView):
    """The login form; a username locked out at this address is told when to try again (429)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = LockoutAwareAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, code=LOCKED_OUT):
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link or a prefetch cannot log anyone out."""
