"""Fuzzing the session WebSocket with Hypothesis: 10,000 generated frames (random JSON, near-valid messages with
wrong types, huge numbers, odd unicode, deep nesting, unknown types, missing fields) through the real ASGI stack
in-process. Each gets exactly one reply, none is a server error, none changes a row, and the socket still answers
a heartbeat at the end. A short list of known-nasty frames runs in the fast suite too."""

import asyncio
import json
import os
import time

import pytest
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.reliability.figures import figure, record

pytestmark = pytest.mark.django_db(transaction=True)

FRAMES = int(os.environ.get("WS_FUZZ_FRAMES", "10000"))
ORIGIN = (b"origin", b"http://localhost")
VIOLATIONS = {"TAB_SWITCH", "WINDOW_BLUR", "FULLSCREEN_EXIT", "COPY", "PASTE"}
# Replies a frame may get: an error, or the answer to the two read-only types.
READ_ONLY_REPLIES = {"heartbeat": "pong", "state_sync_request": "state_sync_response"}


# ---------------------------------------------------------------- the world the frames are thrown at


@pytest.fixture
def arena(db, settings, session, students, connect_student, make_user, teacher):
    """A running session, the student's attempt, and the ids a near-valid frame may borrow (or forge)."""
    from conftest import paper_data
    from exams.services import test_create
    from sessions_app.services import session_open_waiting_room, session_start

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.WS_RATE_BURST = 10**9  # the fuzz measures the parser, not the rate limit (tested on its own)
    session_open_waiting_room(session=session)
    connect_student(session, students[0])
    session_start(session=session)
    foreign = test_create(**paper_data(passages=1, per_passage=1), created_by=teacher)
    paper = session.test
    return {
        "session": session,
        "student": students[0],
        "question_ids": list(paper.questions.values_list("pk", flat=True)),
        "passage_ids": list(paper.passages.values_list("pk", flat=True)),
        "foreign_ids": {"question": [foreign.questions.get().pk], "passage": [foreign.passages.get().pk]},
        "passages": paper.passages.count(),
        "questions": paper.questions.count(),
    }


def fingerprint(session_id) -> tuple:
    """Every row a student event could change (last_activity aside: a heartbeat may refresh it)."""
    from attempts.models import Answer, Attempt, AttemptEvent, Highlight, Violation
    from sessions_app.models import Participant, Session

    attempts = Attempt.objects.filter(session_id=session_id)
    return (
        list(Session.objects.filter(pk=session_id).values_list("status", "started_at", "ends_at", "completed_at")),
        list(
            attempts.order_by("pk").values_list(
                "pk", "status", "score", "band", "submitted_at", "current_passage_index", "current_question_index"
            )
        ),  # fmt: skip
        list(Answer.objects.filter(attempt__in=attempts).order_by("pk").values_list("pk", "question_id", "answer")),
        list(Highlight.objects.filter(attempt__in=attempts).values_list("pk")),
        list(Violation.objects.filter(attempt__in=attempts).values_list("pk")),
        list(Attempt.flagged_questions.through.objects.filter(attempt__in=attempts).values_list("pk")),
        list(AttemptEvent.objects.filter(attempt__in=attempts).values_list("pk")),
        list(Participant.objects.filter(session_id=session_id).values_list("student_id", "connection_status")),
    )


# ---------------------------------------------------------------- strategies


def _not_an_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return True
    return False


NASTY_TEXT = st.sampled_from(
    ["\x00", "a\x00b", "\ud800", "x\udfffy", "\u202e\u0301", "\ufeff", "🙂" * 50, "\U0010ffff", "null", "NaN",
     "1e309", "-0", " 1", "١", "0x10", "<script>", "'; drop table attempts_answer; --", "\\u0000"]
)  # fmt: skip
HUGE_NUMBERS = st.sampled_from([2**31, 2**53 + 1, 2**63, 2**64, 10**30, -(2**63) - 1, 10**300, -1, 1e308, -1e-308])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    NASTY_TEXT, HUGE_NUMBERS,
)  # fmt: skip
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=6,
)  # fmt: skip
NOT_STRINGS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.lists(SCALARS, max_size=3),
                        st.dictionaries(st.text(max_size=5), SCALARS, max_size=3))  # fmt: skip
BAD_TEXT = st.one_of(
    NOT_STRINGS.filter(lambda v: v is not None),
    NASTY_TEXT.filter(lambda t: "\x00" in t or any(0xD800 <= ord(c) <= 0xDFFF for c in t)),
    st.integers(min_value=10_001, max_value=20_000).map(lambda n: "w" * n),
)  # fmt: skip


def bad_id(arena, kind: str):
    """Never an id of this paper: wrong types, forged ids (another paper's), huge, negative, text that is no number."""
    forged = st.sampled_from(arena["foreign_ids"][kind])
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(), st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.text(max_size=20).filter(_not_an_int),
        NASTY_TEXT.filter(_not_an_int), HUGE_NUMBERS, st.integers(max_value=0), forged, forged.map(str),
    )  # fmt: skip


def bad_index(upper: int):
    return st.one_of(
        st.booleans(), st.none(), st.floats(), st.text(max_size=5), st.integers(max_value=-1),
        st.integers(min_value=upper), HUGE_NUMBERS.filter(lambda n: not 0 <= n < upper), st.lists(st.integers()),
    )  # fmt: skip


def near_valid(arena):
    """A student message of a known type with at least one field wrong (or missing): it must be refused."""
    qid = st.sampled_from(arena["question_ids"])
    pid = st.sampled_from(arena["passage_ids"])
    good_text = st.text(min_size=1, max_size=50).filter(lambda t: t.strip() and "\x00" not in t)
    answer = {
        "wrong question": st.fixed_dictionaries({"question_id": bad_id(arena, "question"), "answer": good_text}),
        "wrong answer": st.fixed_dictionaries({"question_id": qid, "answer": BAD_TEXT.filter(lambda v: v != "")}),
        "no answer": st.fixed_dictionaries({"question_id": qid}),
        "no question": st.fixed_dictionaries({"answer": good_text}),
    }
    violation_type = st.one_of(st.text(min_size=1, max_size=20).filter(lambda t: t not in VIOLATIONS),
                               NOT_STRINGS.filter(bool))  # fmt: skip
    highlight_ok = {"passage_id": pid, "text": good_text, "position_start": st.just(0), "position_end": st.just(5)}
    highlight_bad = {
        "passage_id": bad_id(arena, "passage"),
        "text": st.one_of(BAD_TEXT, st.sampled_from(["", "   ", "\n\t"])),
        "position_start": st.one_of(bad_index(10**6), st.just(5)),  # 5 is not before the end
        "position_end": st.one_of(bad_index(10**6), st.integers(min_value=10**5)),
    }

    def one_bad(ok: dict, bad: dict):
        """One field wrong, the others right."""
        return st.one_of(
            *(st.fixed_dictionaries({k: (bad[k] if k == wrong else v) for k, v in ok.items()}) for wrong in bad)
        )

    def missing(ok: dict):
        """One field left out."""
        return st.one_of(*(st.fixed_dictionaries({k: v for k, v in ok.items() if k != gone}) for gone in ok))

    flag_ok = {"question_id": qid, "flagged": st.booleans()}
    flag_bad = {
        "question_id": bad_id(arena, "question"),
        "flagged": NOT_STRINGS.filter(lambda v: not isinstance(v, bool)),
    }
    progress_ok = {"passage_index": st.integers(0, arena["passages"] - 1),
                   "question_index": st.integers(0, arena["questions"] - 1)}  # fmt: skip
    progress_bad = {"passage_index": bad_index(arena["passages"]), "question_index": bad_index(arena["questions"])}
    return st.one_of(
        st.tuples(st.just("answer_submitted"), st.one_of(*answer.values())),
        st.tuples(st.just("tab_violation"), st.fixed_dictionaries({"violation_type": violation_type})),
        st.tuples(st.just("text_highlighted"), st.one_of(one_bad(highlight_ok, highlight_bad), missing(highlight_ok))),
        st.tuples(st.just("highlight_removed"), st.fixed_dictionaries({"highlight_id": JSON})),  # none exists
        st.tuples(st.just("question_flagged"), st.one_of(one_bad(flag_ok, flag_bad), missing(flag_ok))),
        st.tuples(st.just("progress_update"), st.one_of(one_bad(progress_ok, progress_bad), missing(progress_ok))),
        st.tuples(
            st.sampled_from(["submit_attempt", "heartbeat", "state_sync_request", "answer_submitted"]),
            NOT_STRINGS.filter(lambda v: not isinstance(v, dict) and v is not None),
        ),  # data not an object
    ).map(lambda pair: {"type": pair[0], "data": pair[1]})


EVENT_IDS = st.one_of(
    st.none(), st.uuids().map(lambda u: u.hex), st.text(min_size=1, max_size=64),
    st.just(""), st.text(min_size=65, max_size=80), NOT_STRINGS, NASTY_TEXT,
)  # fmt: skip
UNKNOWN_TYPES = st.one_of(
    st.text(max_size=30).filter(lambda t: t not in READ_ONLY_REPLIES and t not in _student_types()),
    st.sampled_from(["ack", "pong", "error", "connected", "session_started", "real_time_stats", "ANSWER_SUBMITTED",
                     "answer_submitted ", "heartbeat\x00", "Heartbeat"]),
)  # fmt: skip


def _student_types():
    from realtime.calls import STUDENT_EVENTS

    return set(STUDENT_EVENTS)


def frames(arena):
    """(category, frame) pairs; a frame is text, or bytes for a binary frame."""

    def with_event_id(message: dict, event_id):
        return message if event_id is None else {**message, "event_id": event_id}

    def dump(value) -> str:
        try:
            return json.dumps(value, ensure_ascii=False).encode("utf-8").decode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate travels as a \\u escape, as it would on the wire
            return json.dumps(value)

    messages = weighted(
        (8, near_valid(arena).map(lambda m: ("near-valid", m))),
        (1, st.fixed_dictionaries({"type": UNKNOWN_TYPES, "data": JSON}).map(lambda m: ("unknown type", m))),
        (1, st.fixed_dictionaries({"type": NOT_STRINGS, "data": JSON}).map(lambda m: ("type not a string", m))),
        (1, st.fixed_dictionaries({"data": JSON}).map(lambda m: ("no type", m))),
    )
    envelope = st.tuples(messages, EVENT_IDS).map(lambda pair: (pair[0][0], dump(with_event_id(pair[0][1], pair[1]))))
    return weighted(
        (60, envelope),
        (6, JSON.filter(lambda v: not isinstance(v, dict)).map(lambda v: ("random JSON", dump(v)))),
        (6, st.dictionaries(st.text(max_size=10).filter(lambda k: k != "type"), JSON, max_size=5).map(
            lambda v: ("random JSON", dump(v))
        )),
        (6, st.text(max_size=200).map(lambda t: ("not JSON", t))),
        (6, envelope.map(lambda pair: ("truncated JSON", pair[1][: max(1, len(pair[1]) // 2)]))),
        (3, st.integers(min_value=1, max_value=40_000).map(lambda depth: ("deep nesting", "[" * depth + "]" * depth))),
        (3, st.integers(min_value=100, max_value=20_000).map(
            lambda depth: ("deep nesting", '{"type":"answer_submitted","data":{"question_id":1,"answer":'
                           + "[" * depth + "]" * depth + "}}")
        )),
        (4, st.binary(max_size=64).map(lambda b: ("binary frame", b))),
        (3, st.sampled_from(["1e99999", "9" * 5000, '{"type": "heartbeat", "data": {"n": ' + "9" * 5000 + "}}"]).map(
            lambda t: ("huge number", t)
        )),
        (3, st.sampled_from([{"type": "heartbeat"}, {"type": "state_sync_request", "data": None}]).map(
            lambda m: ("valid read-only", json.dumps(m))
        )),
    )  # fmt: skip


def weighted(*choices):
    """One of the strategies, drawn in proportion to its weight (one_of alone favours the simplest branches)."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


# ---------------------------------------------------------------- one socket, many frames


class Harness:
    """A student's socket on its own event loop, fed one frame at a time from synchronous Hypothesis code."""

    def __init__(self, session_id: int, user):
        from ielts_site.asgi import application
        from realtime.tests.conftest import access_token

        self.loop = asyncio.new_event_loop()
        path = f"/api/v1/sessions/{session_id}/ws?token={access_token(user)}"
        self.communicator = WebsocketCommunicator(application, path, headers=[ORIGIN])
        connected, _ = self.run(self.communicator.connect(timeout=10))
        assert connected
        self.replies = {}
        self.problems = []
        self.busy = 0.0  # seconds spent sending frames and waiting for their replies
        self.acked = set()  # event ids acknowledged so far: a resend of one is acknowledged again, changing nothing
        while True:  # connected, then the state sync of the running test
            message = self.run(self.communicator.receive_json_from(5))
            if message["type"] == "state_sync_response":
                break

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def throw(self, category: str, frame) -> dict:
        started = time.monotonic()
        try:
            return self._throw(category, frame)
        finally:
            self.busy += time.monotonic() - started

    def _throw(self, category: str, frame) -> dict:
        kind = "bytes" if isinstance(frame, bytes) else "text"  # send_input: an empty frame is a frame too
        self.run(self.communicator.send_input({"type": "websocket.receive", kind: frame}))
        reply = self.run(self.communicator.receive_json_from(10))
        extra = self.run(self.communicator.receive_nothing(0)) is False
        expected = READ_ONLY_REPLIES.get(_type_of(frame))
        ok_types = {"error"} | ({expected} if expected else set())
        if reply["type"] == "ack" and reply["event_id"] in self.acked:
            ok_types.add("ack")
        if reply["type"] == "ack":
            self.acked.add(reply["event_id"])
        if reply["type"] not in ok_types or reply.get("code") == "server_error" or extra:
            self.problems.append((category, frame[:300], reply))
        key = (category, reply["type"] if reply["type"] != "error" else reply["code"])
        self.replies[key] = self.replies.get(key, 0) + 1
        return reply

    def close(self):
        self.run(self.communicator.disconnect())
        self.loop.close()


def _type_of(frame):
    try:
        content = json.loads(frame)
    except (ValueError, TypeError, RecursionError):
        return None
    if isinstance(content, dict) and isinstance(content.get("data", {}), dict | None):
        event_id = content.get("event_id")
        if event_id is None or (isinstance(event_id, str) and 0 < len(event_id) <= 64 and "\x00" not in event_id):
            return content.get("type") if isinstance(content.get("type"), str) else None
    return None


@pytest.mark.slow
def test_ten_thousand_generated_frames_change_nothing(arena):
    harness = Harness(arena["session"].pk, arena["student"])
    before = fingerprint(arena["session"].pk)
    started = time.monotonic()
    counted = {"frames": 0}

    @settings(
        max_examples=FRAMES, deadline=None, database=None, derandomize="WS_FUZZ_SEED" not in os.environ,
        suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
    )  # fmt: skip
    @given(frames(arena))
    def throw(pair):
        category, frame = pair
        counted["frames"] += 1
        problems = len(harness.problems)
        harness.throw(category, frame)
        assert len(harness.problems) == problems, harness.problems[-1]

    if "WS_FUZZ_SEED" in os.environ:
        throw = seed(int(os.environ["WS_FUZZ_SEED"]))(throw)
    try:
        throw()
        heartbeat = harness.throw("final heartbeat", json.dumps({"type": "heartbeat"}))
    finally:
        seconds = time.monotonic() - started
        harness.close()
    after = fingerprint(arena["session"].pk)
    categories = sorted({category for category, _ in harness.replies})
    refused = sum(n for (category, kind), n in harness.replies.items() if kind not in ("pong", "state_sync_response"))
    record(
        "ws_fuzz",
        title=f"Hypothesis frames through the consumer (in-process ASGI stack, {len(categories) - 1} kinds of frame)",
        unit="frames", tried=counted["frames"], survived=counted["frames"] - len(harness.problems),
        lost=int(before != after),
        figures=[
            figure("frames thrown", counted["frames"], f"{FRAMES:,}", counted["frames"] >= FRAMES),
            figure("unhandled exceptions / server errors / missing or extra replies", len(harness.problems), "0",
                   not harness.problems),  # fmt: skip
            figure("frames refused with an error", refused),
            figure("rows changed", "none" if before == after else "some", "none", before == after),
            figure("heartbeat answered at the end", heartbeat["type"] == "pong", "yes", heartbeat["type"] == "pong"),
            figure("run time (s)", round(seconds, 1), "≤ 60", seconds <= 60),
            figure("of which the server's replies (the rest is generating frames) (s)", round(harness.busy, 1)),
            figure("reply kinds seen (error codes, pong, state sync)",
                   ", ".join(sorted({kind for _, kind in harness.replies}))),  # fmt: skip
        ],
    )  # fmt: skip
    assert not harness.problems, harness.problems[:5]
    assert heartbeat["type"] == "pong"
    assert before == after, "an invalid frame changed a row"


NASTY_FRAMES = [
    "[" * 50_000 + "]" * 50_000,  # deeper than the JSON decoder can recurse, under 64 KiB
    '{"type":"answer_submitted","data":{"question_id":1,"answer":' + "[" * 30_000 + "]" * 30_000 + "}}",
    json.dumps({"type": "answer_submitted", "data": {"question_id": "{q}", "answer": "a\x00b"}}),
    json.dumps({"type": "answer_submitted", "data": {"question_id": "{q}", "answer": "\ud800"}}),
    json.dumps({"type": "answer_submitted", "data": {"question_id": "{q}", "answer": "ok"}, "event_id": "a\x00"}),
    json.dumps({"type": "answer_submitted", "data": {"question_id": "{q}", "answer": "ok"}, "event_id": "\udfff"}),
    json.dumps(
        {
            "type": "text_highlighted",
            "data": {"passage_id": "{p}", "text": "x\x00", "position_start": 0, "position_end": 3},
        }
    ),  # fmt: skip
    json.dumps(
        {
            "type": "text_highlighted",
            "data": {"passage_id": "{p}", "text": "\udc00", "position_start": 0, "position_end": 3},
        }
    ),  # fmt: skip
    json.dumps({"type": "answer_submitted", "data": {"question_id": 10**30, "answer": "x"}}),
    json.dumps({"type": "answer_submitted", "data": {"question_id": str(2**63), "answer": "x"}}),
    json.dumps({"type": "highlight_removed", "data": {"highlight_id": -(2**63) - 1}}),
    json.dumps({"type": "progress_update", "data": {"passage_index": 2**40, "question_index": 0}}),
    json.dumps({"type": "question_flagged", "data": {"question_id": 1e308, "flagged": True}}),
    json.dumps({"type": "tab_violation", "data": {"violation_type": ["TAB_SWITCH"]}}),
    json.dumps({"type": "tab_violation", "data": {"violation_type": {"TAB_SWITCH": 1}}}),
    '{"type": "heartbeat", "data": {"n": ' + "9" * 5000 + "}}",
    "1e99999",
    '{"type": "heartbeat", "event_id": NaN}',
]


def test_known_nasty_frames_are_refused_and_change_nothing(arena):
    """Frames that once broke (or could break) the consumer: deep nesting, NUL and lone surrogates the database
    cannot store, ids out of the database's integer range."""
    harness = Harness(arena["session"].pk, arena["student"])
    before = fingerprint(arena["session"].pk)
    try:
        for frame in NASTY_FRAMES:
            frame = frame.replace('"{q}"', str(arena["question_ids"][0])).replace('"{p}"', str(arena["passage_ids"][0]))
            harness.throw("nasty", frame)
        heartbeat = harness.throw("final heartbeat", json.dumps({"type": "heartbeat"}))
    finally:
        harness.close()
    assert not harness.problems, harness.problems
    assert heartbeat["type"] == "pong"
    assert fingerprint(arena["session"].pk) == before
