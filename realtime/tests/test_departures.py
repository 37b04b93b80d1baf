"""A departure and its return over the WebSocket: acknowledged with the violation's id, relayed to teachers with
the time away, applied once however often the outbox resends them (also after a reconnect)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from attempts.models import Attempt, Violation

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_departure_then_its_return_resent_after_a_reconnect(start_watched, ws, session, students, db_call):
    teacher, [student, _] = await start_watched()
    await db_call(lambda: Attempt.objects.update(started_at=timezone.now() - timedelta(minutes=5)))

    await student.send("tab_violation", {"violation_type": "TAB_SWITCH"}, "out")
    ack = await student.recv_type("ack")
    left = await teacher.recv_type("tab_violation")
    assert left == {**left, "violation_id": ack["violation_id"], "violations_count": 1, "returned": False,
                    "away_seconds": None}  # fmt: skip
    assert (await teacher.recv_type("real_time_stats"))["violations_total"] == 1

    await student.send("tab_violation", {"violation_type": "TAB_SWITCH", "returned": True, "away_seconds": 42}, "in")
    back_ack = await student.recv_type("ack")
    assert (back_ack["event_id"], back_ack["violation_id"]) == ("in", ack["violation_id"])
    back = await teacher.recv_type("tab_violation")
    assert back == {**back, "violation_id": ack["violation_id"], "violations_count": 1, "returned": True,
                    "away_seconds": 42}  # fmt: skip
    assert await teacher.nothing()

    await student.close()  # the page comes back online: its outbox sends both again
    again = await ws(session.pk, user=students[0])
    await again.until("state_sync_response")
    for event_id, data in (("out", {}), ("in", {"returned": True, "away_seconds": 42})):
        await again.send("tab_violation", data, event_id)
        resent, _ = await again.until("ack")
        assert (resent["event_id"], resent["violation_id"]) == (event_id, ack["violation_id"])
    assert "tab_violation" not in [m["type"] for m in await teacher.drain()]  # not relayed again
    rows = await db_call(lambda: list(Violation.objects.values_list("type", "away_seconds")))
    assert rows == [("TAB_SWITCH", 42)]


async def test_bad_return_data_gets_an_error_and_changes_nothing(start_watched, db_call):
    teacher, [student, _] = await start_watched()
    await student.send("tab_violation", {"violation_type": "TAB_SWITCH"}, "out")
    await student.recv_type("ack")
    await teacher.drain()
    for event_id, data in (
        ("bad-1", {"returned": True, "away_seconds": "soon"}),
        ("bad-2", {"away_seconds": 3}),
        ("bad-3", {"returned": True, "violation_type": "COPY"}),
    ):
        await student.send("tab_violation", data, event_id)
        error = await student.recv_type("error")
        assert (error["code"], error["event_id"]) == ("invalid", event_id)
    assert await teacher.nothing()
    assert await db_call(lambda: list(Violation.objects.values_list("away_seconds", flat=True))) == [None]
