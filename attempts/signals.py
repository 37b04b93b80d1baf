"""Signals for higher apps: the counts teachers watch live (submitted, violations) changed."""

from django.dispatch import Signal

# sent with session_id (or session_ids, for many at once), after the write, inside its transaction
attempt_counts_changed = Signal()
