"""Sockets follow permissions: whatever changes who may see a session (a deactivated user, a student who left
the class, a teacher removed from it, a deleted session) tells the connections concerned to check their access
again, once the change commits; a connection that lost it gets `error` `forbidden` and is closed with 4403.

Receivers of model signals rather than calls in each service: the admin's forms, the API and the services all
change these rows, and every path must close the sockets. The consumer decides (realtime/calls.py
`connection_allowed`), so a notice too many costs one query and closes nothing.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from classes.models import Class, Enrolment
from realtime.events import access_changed_on_commit
from sessions_app.models import Participant, Session


def _user_saved(sender, instance, **kwargs):
    if not instance.is_active:
        access_changed_on_commit(user_ids=[instance.pk])


def _class_teachers_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear":  # the ids are gone by post_clear
        instance._teachers_cleared = [instance.pk] if reverse else list(instance.teachers.values_list("pk", flat=True))
    elif action == "post_clear":
        access_changed_on_commit(user_ids=getattr(instance, "_teachers_cleared", []))
    elif action == "post_remove":
        access_changed_on_commit(user_ids=[instance.pk] if reverse else pk_set)


def _student_left(sender, instance, **kwargs):
    access_changed_on_commit(user_ids=[instance.student_id])


def _session_deleted(sender, instance, **kwargs):
    access_changed_on_commit(session_id=instance.pk)


def connect_receivers() -> None:
    uid = "realtime.access"
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid=f"{uid}.user")
    m2m_changed.connect(_class_teachers_changed, sender=Class.teachers.through, dispatch_uid=f"{uid}.teachers")
    post_delete.connect(_student_left, sender=Enrolment, dispatch_uid=f"{uid}.enrolment")
    post_delete.connect(_student_left, sender=Participant, dispatch_uid=f"{uid}.participant")
    pre_delete.connect(_session_deleted, sender=Session, dispatch_uid=f"{uid}.session")
