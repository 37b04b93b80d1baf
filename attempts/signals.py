"""Signals for higher apps: the counts teachers watch live (submitted, violations) changed."""

from django.dispatch import Signal

# sent with session_id, after the write, inside its transaction
attempt_counts_changed = Signal()
