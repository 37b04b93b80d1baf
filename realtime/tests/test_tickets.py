"""WebSocket tickets: single use even when redeemed concurrently, short-lived, bound to a session."""

import time
from concurrent.futures import ThreadPoolExecutor

from realtime.tickets import ticket_issue, ticket_redeem


def test_a_ticket_is_redeemed_once_whoever_races_for_it():
    ticket = ticket_issue(user_id=7, session_id=3)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(ticket_redeem, [ticket] * 8))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and (winners[0].user_id, winners[0].session_id) == (7, 3)
    assert ticket_redeem(ticket) is None


def test_a_ticket_expires(settings):
    settings.WS_TICKET_SECONDS = 1
    ticket = ticket_issue(user_id=7, session_id=3)
    time.sleep(1.2)
    assert ticket_redeem(ticket) is None


def test_nonsense_is_no_ticket():
    for value in ("", "short", "x" * 500, None, 12):
        assert ticket_redeem(value) is None
