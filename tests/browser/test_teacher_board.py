"""The live monitor's board state (static/teacher/board.js), exercised alone in Chromium (no server and no
DOM: the module is served from static/teacher/ and static/common/ through a route): a snapshot loads,
server events change the cards and the feed, events received while a snapshot loads are replayed on top
of it, and the countdown and hints read as a teacher would read them."""

import pytest

from tests.browser.static_modules import serve_static_modules

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORIGIN = "http://teacher.test"

# Two students on a paper of four questions (ids 11..14, numbers 1..4); Amira is working, Ben has not come.
SETUP = """
const QUESTIONS = {11: 1, 12: 2, 13: 3, 14: 4};
const newBoard = (status = "IN_PROGRESS") =>
    board.createBoard({sessionId: 7, status, questionCount: 4, questionNumbers: QUESTIONS});
const serverNow = new Date(Date.now() + 3600 * 1000);  // the laptop's clock is an hour slow
const snapshot = (overrides = {}) => ({
    session: {id: 7, status: "IN_PROGRESS", server_now: serverNow.toISOString(),
              ends_at: new Date(serverNow.getTime() + 30 * 60 * 1000).toISOString(),
              participants: [{student_id: 1, connection_status: "CONNECTED", attempt_id: 101},
                             {student_id: 2, connection_status: "DISCONNECTED", attempt_id: null}]},
    stats: {participants: 2, connected: 1, submitted: 0, violations_total: 1,
            students: [{student_id: 2, student_name: "Ben Okafor", attempt_id: null, status: null, answered: 0,
                        violations: 0, score: null, band: null},
                       {student_id: 1, student_name: "Amira Haddad", attempt_id: 101, status: "IN_PROGRESS",
                        answered: 1, violations: 1, score: null, band: null,
                        current_passage_index: 0, current_question_index: 1}]},
    attempts: [{id: 101, flagged_question_ids: [12],
                highlights: [{id: 6, text: "trade grew", timestamp: "2026-01-01T10:02:00Z"},
                             {id: 5, text: "red wool", timestamp: "2026-01-01T10:01:00Z"}]}],
    sentMs: Date.now(), receivedMs: Date.now(),
    ...overrides,
});
const card = (b, id) => {
    const s = b.students.get(String(id));
    return s && {name: s.name, connected: s.connected, status: board.statusText(s, b.questionCount),
                 title: board.statusTitle(s, b.questionCount), answered: s.answered, flagged: [...s.flagged],
                 violations: s.violations, flash: s.flash, position: board.positionText(s),
                 highlight: board.lastHighlight(s), attemptId: s.attemptId};
};
const seen = (changes) => ({students: [...changes.students].sort(), order: changes.order, header: changes.header,
                            feed: changes.feed.map((f) => [f.kind, f.text, f.minor]), refresh: changes.refresh});
const loaded = () => {
    const b = newBoard();
    board.applySnapshot(b, board.beginSnapshot(b), snapshot());
    return b;
};
"""


@pytest.fixture
def modules(page):
    """A blank page on a made-up origin that serves static/teacher/*.js and static/common/*.js as ES modules."""
    return serve_static_modules(page, origin=ORIGIN, folders=("teacher", "common"))


def run(page, body: str):
    """Run an async function body with static/teacher/board.js imported as `board`, after SETUP."""
    return page.evaluate(
        """async ([setup, body]) => {
            const board = await import("/static/teacher/board.js");
            return await new Function("board", `${setup}; return (async () => { ${body} })();`)(board);
        }""",
        [SETUP, body],
    )


def test_a_snapshot_fills_the_board_as_the_teacher_sees_it(modules):
    result = run(
        modules,
        """
        const b = newBoard("SCHEDULED");
        const token = board.beginSnapshot(b);
        const changes = board.applySnapshot(b, token, snapshot());
        board.endSnapshot(b, token);
        return {changes: seen(changes), order: board.orderedStudents(b).map((s) => s.name),
                amira: card(b, 1), ben: card(b, 2), counts: b.counts, status: b.session.status,
                offsetHours: Math.round(b.clockOffsetMs / 3600000), countdown: board.countdownState(b),
                buffer: b.replayBuffer};
        """,
    )
    assert result["changes"] == {"students": ["1", "2"], "order": True, "header": True, "feed": [], "refresh": False}
    assert result["order"] == ["Amira Haddad", "Ben Okafor"]
    assert result["amira"] == {
        "name": "Amira Haddad", "connected": True, "status": "Working", "title": "Working", "answered": 1,
        "flagged": ["12"], "violations": 1, "flash": False, "position": "P1 · Q2", "highlight": "trade grew",
        "attemptId": 101,
    }  # fmt: skip
    assert result["ben"]["status"] == "Absent" and result["ben"]["position"] == "–"
    assert result["ben"]["highlight"] is None and result["ben"]["attemptId"] is None
    assert result["counts"] == {"participants": 2, "connected": 1, "submitted": 0, "violations_total": 1}
    assert result["status"] == "IN_PROGRESS"
    assert result["offsetHours"] == 1  # the countdown runs on the server's clock
    assert result["countdown"]["level"] == "" and result["countdown"]["text"] in ("30:00", "29:59")
    assert result["buffer"] is None


def test_events_change_the_cards_the_counts_and_the_feed(modules):
    result = run(
        modules,
        """
        const b = loaded();
        const steps = {};
        const step = (name, message) => { steps[name] = seen(board.receive(b, message)); };
        step("joined", {type: "participant_joined", student_id: 2, student_name: "Ben Okafor", connected_count: 2});
        steps.benJoined = card(b, 2);
        step("answered", {type: "answer_submitted", student_id: 1, question_id: 13, answer: "wool",
                          answered_count: 2, attempt_id: 101});
        step("cleared", {type: "answer_submitted", student_id: 1, question_id: 99, answer: "  ", answered_count: 2});
        step("moved", {type: "progress_update", student_id: 1, passage_index: 1, question_index: 3});
        step("highlighted", {type: "text_highlighted", student_id: 1, highlight_id: 7, text: "x".repeat(70)});
        step("unhighlighted", {type: "highlight_removed", student_id: 1, highlight_id: 7});
        step("rehighlighted", {type: "text_highlighted", student_id: 1, highlight_id: 5, text: "red wool"});
        step("flagged", {type: "question_flagged", student_id: 1, question_id: 14, flagged: true});
        step("unflagged", {type: "question_flagged", student_id: 1, question_id: 12, flagged: false});
        step("violation", {type: "tab_violation", student_id: 1, violation_type: "TAB_SWITCH", violations_count: 2});
        steps.amiraWorking = card(b, 1);
        step("pasted", {type: "tab_violation", student_id: 1, violation_type: "PASTE"});
        step("left", {type: "participant_disconnected", student_id: 1, connected_count: 1});
        steps.amiraOffline = card(b, 1);
        step("submitted", {type: "attempt_submitted", student_id: 1, attempt_id: 101, score: 3, band: "6.5"});
        steps.amiraSubmitted = card(b, 1);
        step("stats", {type: "real_time_stats", participants: 3, connected: 1, submitted: 1, violations_total: 3});
        step("newcomer", {type: "answer_submitted", student_id: 3, question_id: 11, answer: "TRUE",
                          answered_count: 1, attempt_id: 103});
        steps.newcomerCard = card(b, 3);
        step("unknown", {type: "something_new", student_id: 1});
        const error = board.receive(b, {type: "error", code: "forbidden"});
        return {steps, counts: b.counts, order: board.orderedStudents(b).map((s) => s.id),
                error: error.serverError};
        """,
    )
    steps = result["steps"]
    assert steps["joined"] == {
        "students": ["2"], "order": False, "header": True, "feed": [["joined", "Ben Okafor connected.", False]],
        "refresh": False,
    }  # fmt: skip
    assert steps["benJoined"]["connected"] and steps["benJoined"]["status"] == "Waiting"
    assert steps["answered"]["feed"] == [["answer", "Amira Haddad answered Q3.", True]]
    assert steps["answered"]["header"] is False  # a card's change touches the card only
    assert steps["cleared"]["feed"] == [["answer", "Amira Haddad cleared a question.", True]]
    assert steps["moved"]["feed"] == [] and steps["moved"]["students"] == ["1"]
    assert steps["highlighted"]["feed"] == [["highlight", f"Amira Haddad highlighted “{'x' * 59}…”.", True]]
    assert steps["unhighlighted"]["feed"] == [["highlight", "Amira Haddad removed a highlight.", True]]
    assert steps["flagged"]["feed"] == [["flag", "Amira Haddad flagged Q4.", True]]
    assert steps["unflagged"]["feed"] == [["flag", "Amira Haddad unflagged Q2.", True]]
    assert steps["violation"]["feed"] == [["violation", "Amira Haddad switched tab.", False]]
    assert steps["amiraWorking"] == {
        "name": "Amira Haddad", "connected": True, "status": "Working", "title": "Working", "answered": 2,
        "flagged": ["14"], "violations": 2, "flash": True, "position": "P2 · Q4",
        "highlight": "red wool",  # re-made after the others: it is the newest
        "attemptId": 101,
    }  # fmt: skip
    assert steps["pasted"]["feed"] == [["violation", "Amira Haddad pasted text.", False]]
    assert steps["amiraOffline"]["status"] == "Working (offline)" and steps["amiraOffline"]["violations"] == 3
    assert steps["left"]["feed"] == [["left", "Amira Haddad disconnected.", False]]
    assert steps["submitted"]["feed"] == [["submitted", "Amira Haddad submitted: 3/4, band 6.5.", False]]
    assert steps["amiraSubmitted"]["status"] == "✓ 3/4 · 6.5"
    assert steps["amiraSubmitted"]["title"] == "Submitted: 3 of 4 correct, band 6.5"
    assert steps["stats"]["header"] and steps["stats"]["students"] == []
    assert result["counts"] == {"participants": 3, "connected": 1, "submitted": 1, "violations_total": 3}
    # A student the board had not heard of gets a card (and the board is re-ordered).
    assert steps["newcomer"]["order"] is True and steps["newcomer"]["students"] == ["3"]
    newcomer = steps["newcomerCard"]
    assert (newcomer["name"], newcomer["status"], newcomer["attemptId"]) == ("Student 3", "Working (offline)", 103)
    assert result["order"] == [1, 2, 3]  # "Amira Haddad", "Ben Okafor", "Student 3"
    assert steps["unknown"] == {"students": [], "order": False, "header": False, "feed": [], "refresh": False}
    assert result["error"] == {"type": "error", "code": "forbidden"}


def test_the_session_s_lifecycle_reaches_the_header_and_asks_for_a_reload(modules):
    result = run(
        modules,
        """
        const b = newBoard("SCHEDULED");
        const out = {};
        out.idle = board.countdownState(b);
        out.opened = seen(board.receive(b, {type: "waiting_room_opened"}));
        out.noOne = board.controlHint(b);
        board.receive(b, {type: "real_time_stats", connected: 1});
        out.one = board.controlHint(b);
        board.receive(b, {type: "participant_joined", student_id: 2, student_name: "Ben Okafor", connected_count: 2});
        out.two = board.controlHint(b);
        const now = Date.now();
        const END = 3725000 - 500;  // 1:02:05 left, rounded up, however long this takes to run
        out.started = seen(board.receive(b, {type: "session_started", connected_students: [1, 2],
            started_at: new Date(now).toISOString(), ends_at: new Date(now + END).toISOString(),
            server_now: new Date(now).toISOString()}));
        out.startedHint = board.controlHint(b);
        out.ben = card(b, 2);
        out.running = board.countdownState(b, now);
        out.last10 = board.countdownState(b, now + END - 9 * 60 * 1000).level;
        out.last5 = board.countdownState(b, now + END - 59001).level;
        out.minute = board.countdownState(b, now + END - 59001).text;
        out.timeUp = board.countdownState(b, now + END + 1000);
        out.completed = seen(board.receive(b, {type: "session_completed", reason: "TIME_UP"}));
        out.finished = board.countdownState(b);
        out.byTeacher = seen(board.receive(b, {type: "session_completed", reason: "TEACHER"})).feed;
        out.statusChanged = seen(board.receive(b, {type: "session_status_changed", status: "CANCELLED"}));
        out.cancelledStatus = b.session.status;
        out.cancelled = board.countdownState(b);
        const action = board.applyActionResult(b, {status: "COMPLETED", server_now: new Date(now).toISOString()},
                                               "The session is completed.");
        out.action = seen(action);
        out.afterAction = b.session.status;
        return out;
        """,
    )
    assert result["idle"] == {"text": "Not started", "level": "idle"}
    assert result["opened"]["feed"] == [["session", "The waiting room is open.", False]]
    assert result["opened"]["header"] and not result["opened"]["refresh"]
    assert (result["noOne"], result["one"], result["two"]) == (
        "No student is connected yet.", "1 student ready.", "2 students ready.",
    )  # fmt: skip
    assert result["started"]["feed"] == [["session", "The test started for 2 student(s).", False]]
    assert result["started"]["refresh"] is True  # the attempt ids for the timeline links
    assert result["started"]["students"] == ["1", "2"] and result["started"]["order"] is True
    assert result["startedHint"] == "" and result["ben"]["status"] == "Working"
    assert result["running"] == {"text": "1:02:05", "level": ""}
    assert (result["last10"], result["last5"], result["minute"]) == ("last10", "last5", "01:00")
    assert result["timeUp"] == {"text": "Time up", "level": "last5"}
    assert result["completed"]["feed"] == [["session", "The session is completed (time is up).", False]]
    assert result["completed"]["refresh"] is True  # the final scores
    assert result["finished"] == {"text": "Finished", "level": "idle"}
    assert result["byTeacher"] == [["session", "The session is completed (ended by the teacher).", False]]
    assert result["statusChanged"]["header"] and result["statusChanged"]["feed"] == []
    assert result["cancelledStatus"] == "CANCELLED"
    assert result["cancelled"] == {"text": "Cancelled", "level": "idle"}
    assert result["action"]["feed"] == [["session", "The session is completed.", False]]
    assert result["action"]["header"] and result["afterAction"] == "COMPLETED"


def test_events_received_while_a_snapshot_loads_are_replayed_on_top_of_it(modules):
    result = run(
        modules,
        """
        const b = loaded();
        const token = board.beginSnapshot(b);
        // While the (older) snapshot is on its way, Amira answers, highlights, flags, switches tab and moves on.
        const live = [
            {type: "answer_submitted", student_id: 1, question_id: 13, answer: "wool", answered_count: 3},
            {type: "text_highlighted", student_id: 1, highlight_id: 8, text: "caravans"},
            {type: "highlight_removed", student_id: 1, highlight_id: 6},
            {type: "question_flagged", student_id: 1, question_id: 14, flagged: true},
            {type: "tab_violation", student_id: 1, violation_type: "TAB_SWITCH", violations_count: 2},
            {type: "progress_update", student_id: 1, passage_index: 1, question_index: 3},
            {type: "participant_joined", student_id: 2, student_name: "Ben Okafor", connected_count: 2},
            {type: "pong", server_now: serverNow.toISOString()},
            {type: "something_new"},
        ];
        const liveFeed = live.map((m) => board.receive(b, m)).flatMap((c) => c.feed.map((f) => f.kind));
        const buffered = b.replayBuffer.map((m) => m.type);
        for (const s of b.students.values()) s.flash = false;  // the view drew the flash already
        const changes = board.applySnapshot(b, token, snapshot());
        board.endSnapshot(b, token);
        const amira = card(b, 1);
        board.receive(b, {type: "answer_submitted", student_id: 1, question_id: 14, answer: "B", answered_count: 4});
        return {liveFeed, buffered, changes: seen(changes), amira, ben: card(b, 2), connected: b.counts.connected,
                buffer: b.replayBuffer, afterwards: card(b, 1).answered};
        """,
    )
    assert result["liveFeed"] == ["answer", "highlight", "highlight", "flag", "violation", "joined"]
    assert "something_new" not in result["buffered"] and len(result["buffered"]) == 8
    # The snapshot is older than those events: they are applied again on top, without new feed lines.
    assert result["changes"]["feed"] == [] and result["changes"]["refresh"] is False
    assert result["changes"]["students"] == ["1", "2"] and result["changes"]["header"]
    amira = result["amira"]
    assert (amira["answered"], amira["violations"], amira["position"]) == (3, 2, "P2 · Q4")
    assert amira["flagged"] == ["12", "14"] and amira["highlight"] == "caravans"
    assert amira["flash"] is False  # a replayed violation does not flash the card again
    assert result["ben"]["connected"] and result["connected"] == 2
    assert result["buffer"] is None and result["afterwards"] == 4


def test_a_stale_snapshot_gives_way_to_a_newer_one(modules):
    result = run(
        modules,
        """
        const b = newBoard();
        const first = board.beginSnapshot(b);
        const second = board.beginSnapshot(b);
        const stale = board.applySnapshot(b, first, snapshot());
        board.endSnapshot(b, first);  // must not stop the newer snapshot's buffering
        const stillBuffering = b.replayBuffer === second;
        board.receive(b, {type: "answer_submitted", student_id: 1, question_id: 13, answer: "x", answered_count: 2});
        const fresh = board.applySnapshot(b, second, snapshot());
        board.endSnapshot(b, second);
        return {stale, stillBuffering, students: b.students.size, answered: card(b, 1).answered,
                fresh: fresh !== null};
        """,
    )
    assert result["stale"] is None and result["stillBuffering"]
    assert result["fresh"] and result["students"] == 2 and result["answered"] == 2
