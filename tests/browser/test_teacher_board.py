"""The live monitor's board state (static/teacher/board.js), exercised alone in Chromium (no server and no
DOM: the module is served from static/teacher/ and static/common/ through a route): a snapshot loads,
server events change the cards and the feed, events received while a snapshot loads are replayed on top
of it, and the countdown and hints read as a teacher would read them."""

import pytest

from tests.browser.static_modules import serve_static_modules

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.modules]

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
        "refresh": True,  # a late joiner: the snapshot brings their attempt
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
        const action = board.applyActionResult(b, {status: "COMPLETED", server_now: new Date(now).toISOString()});
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
    assert result["started"]["feed"] == [["session", "The test has started.", False]]
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
    assert result["action"]["feed"] == []  # the transition's one line comes with its event
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


# ---------------------------------------------------------------------------------------------- the teacher's controls

# More of the board for the controls: times on the server's clock (S, the snapshot's server_now, and at(s) the
# ISO time s seconds later), a card's control fields read at a server moment, and a snapshot where Ben works
# offline (30 s so far) and Amira has two tabs open and one violation to review.
CONTROLS = """
const S = serverNow.getTime();
const at = (seconds) => new Date(S + seconds * 1000).toISOString();
const ENDS = S + 30 * 60 * 1000;
const local = (b, seconds) => S + seconds * 1000 - b.clockOffsetMs;  // the laptop's time at server moment S + s
const controlsCard = (b, id, seconds = 0) => {
    const s = b.students.get(String(id));
    const clock = board.ownClock(b, s, local(b, seconds));
    return {status: board.statusText(s, b.questionCount), title: board.statusTitle(s, b.questionCount),
            tags: board.cardTags(s), extra: board.extraText(s), extraSeconds: s.extraSeconds,
            clock: clock && clock.text, clockLevel: clock && clock.level,
            offline: board.offlineSecondsAt(s, S + seconds * 1000),
            offlineText: board.offlineText(b, s, local(b, seconds)),
            giveBack: board.giveBackSeconds(b, s, local(b, seconds)), devices: board.devicesText(s),
            violations: s.violations, confirmed: s.violationsConfirmed, reviewed: board.reviewText(s),
            list: s.violationList && s.violationList.map((v) => [v.id, v.verdict, v.note]),
            notice: s.notice && s.notice.text, controls: board.cardControls(b, s)};
};
const countdownAt = (b, seconds) => board.countdownState(b, local(b, seconds));
const withControls = (overrides = {}) => snapshot({
    session: {id: 7, status: "IN_PROGRESS", server_now: at(0), ends_at: new Date(ENDS).toISOString(),
              participants: [{student_id: 1, connection_status: "CONNECTED", attempt_id: 101, connections: 2,
                              offline_seconds: 0},
                             {student_id: 2, connection_status: "DISCONNECTED", attempt_id: 102, connections: 0,
                              offline_seconds: 30}]},
    stats: {participants: 2, connected: 1, submitted: 0, violations_total: 1,
            students: [{student_id: 1, student_name: "Amira Haddad", attempt_id: 101, status: "IN_PROGRESS",
                        answered: 1, violations: 1, violations_confirmed: 0, extra_seconds: 0, offline_seconds: 0,
                        score: null, band: null, current_passage_index: 0, current_question_index: 1},
                       {student_id: 2, student_name: "Ben Okafor", attempt_id: 102, status: "IN_PROGRESS",
                        answered: 0, violations: 0, violations_confirmed: 0, extra_seconds: 0, offline_seconds: 30,
                        score: null, band: null, current_passage_index: 0, current_question_index: 0}]},
    attempts: [{id: 101, flagged_question_ids: [], highlights: [], extra_seconds: 0, offline_seconds: 0,
                violations: [{id: 9, type: "TAB_SWITCH", timestamp: at(-60), verdict: null, note: null}]},
               {id: 102, flagged_question_ids: [], highlights: [], extra_seconds: 0, offline_seconds: 30,
                violations: []}],
    ...overrides,
});
const loadedWithControls = (options = {}) => {
    const b = board.createBoard({sessionId: 7, status: "IN_PROGRESS", questionCount: 4, questionNumbers: QUESTIONS,
                                 giveBackReason: "Offline time given back", ...options});
    const token = board.beginSnapshot(b);
    board.applySnapshot(b, token, withControls());
    board.endSnapshot(b, token);
    return b;
};
"""


def run_controls(page, body: str):
    return run(page, CONTROLS + body)


def test_a_pause_freezes_every_clock_and_the_resume_moves_every_deadline(modules):
    result = run_controls(
        modules,
        """
        const b = loadedWithControls();
        const out = {};
        board.receive(b, {type: "time_extended", student_id: 1, attempt_id: 101, seconds: 300, reason: null,
                          ends_at: new Date(ENDS + 300000).toISOString(), server_now: at(0)});
        out.running = [countdownAt(b, 60), controlsCard(b, 1, 60).clock];
        out.paused = seen(board.receive(b, {type: "session_paused", paused_at: at(60), reason: "Fire alarm",
                                           timestamp: at(60)}));
        out.status = b.session.status;
        out.frozen = [countdownAt(b, 60), countdownAt(b, 600), controlsCard(b, 1, 600).clock,
                      controlsCard(b, 1, 600).clockLevel];
        out.hint = board.controlHint(b);
        out.pausedControls = controlsCard(b, 1).controls;
        out.resumed = seen(board.receive(b, {type: "session_resumed", ends_at: new Date(ENDS + 120000).toISOString(),
                                            server_now: at(180), paused_seconds: 120, timestamp: at(180)}));
        out.after = [b.session.status, b.session.paused_at, board.controlHint(b), countdownAt(b, 180),
                     controlsCard(b, 1, 180).clock, controlsCard(b, 1, 180).extraSeconds];
        // A status change alone (its event missed) still freezes the clock, at the time it was sent.
        board.receive(b, {type: "session_status_changed", status: "PAUSED", timestamp: at(240)});
        out.statusOnly = [countdownAt(b, 900), board.controlHint(b)];
        board.receive(b, {type: "session_completed", reason: "TEACHER", completed_at: at(300)});
        out.completed = [countdownAt(b, 300), b.session.paused_at, controlsCard(b, 1).controls];
        return out;
        """,
    )
    assert result["running"] == [{"text": "29:00", "level": ""}, "34:00"]
    assert result["paused"]["feed"] == [["session", "The test is paused for everyone (Fire alarm).", False]]
    assert result["paused"]["header"] and result["paused"]["students"] == ["1", "2"]
    assert result["status"] == "PAUSED"
    # The class's and Amira's own countdowns stand still at what was left at the pause.
    assert result["frozen"] == [{"text": "29:00", "level": "paused"}, {"text": "29:00", "level": "paused"},
                                "34:00", "paused"]  # fmt: skip
    assert result["hint"] == "Paused: Fire alarm"
    assert result["pausedControls"] == {"extra": True, "finish": True, "reopen": False, "message": True, "review": True}
    assert result["resumed"]["feed"] == [["session", "The test goes on after 2 min.", False]]
    # Every deadline moved by the two minutes paused: 29:00 left at 3:00, and Amira keeps her five minutes.
    assert result["after"] == ["IN_PROGRESS", None, "", {"text": "29:00", "level": ""}, "34:00", 300]
    assert result["statusOnly"] == [{"text": "28:00", "level": "paused"}, "Paused: students wait."]
    assert result["completed"][0] == {"text": "Finished", "level": "idle"} and result["completed"][1] is None
    assert result["completed"][2] == {"extra": False, "finish": True, "reopen": False, "message": False, "review": True}


def test_extra_time_for_one_student_and_for_the_class(modules):
    result = run_controls(
        modules,
        """
        const b = loadedWithControls();
        const out = {};
        out.one = seen(board.receive(b, {type: "time_extended", student_id: 1, attempt_id: 101, seconds: 300,
            reason: "Access arrangement", ends_at: new Date(ENDS + 300000).toISOString(), server_now: at(0)}));
        out.amira = controlsCard(b, 1);
        out.ben = controlsCard(b, 2);
        out.countdown = countdownAt(b, 0);
        // The class gets ten minutes: the REST answer first, then its event (which must not move anyone twice).
        const sessionEnds = new Date(ENDS + 600000).toISOString();
        out.rest = seen(board.applySessionExtension(b, {status: "IN_PROGRESS", ends_at: sessionEnds,
                                                       server_now: at(5)}, 600));
        out.all = seen(board.receive(b, {type: "time_extended", student_id: null, attempt_id: null, seconds: 600,
                                        reason: null, ends_at: sessionEnds, server_now: at(5)}));
        out.afterAll = [countdownAt(b, 5), controlsCard(b, 1, 5).clock, controlsCard(b, 1).extra,
                        controlsCard(b, 2, 5).clock, controlsCard(b, 2).extra];
        out.less = seen(board.receive(b, {type: "time_extended", student_id: 1, attempt_id: 101, seconds: -60,
            reason: null, ends_at: new Date(ENDS + 600000 + 240000).toISOString(), server_now: at(10)})).feed;
        out.lessCard = controlsCard(b, 1).extra;
        return out;
        """,
    )
    assert result["one"]["feed"] == [["time", "Amira Haddad got 5 min more time (Access arrangement).", False]]
    assert result["one"]["students"] == ["1"] and result["one"]["header"] is False
    amira = result["amira"]
    assert (amira["extra"], amira["extraSeconds"], amira["clock"]) == ("+5 min", 300, "35:00")
    assert (result["ben"]["extra"], result["ben"]["clock"]) == ("", None)  # no own clock: the class's is his
    assert result["countdown"]["text"] == "30:00"
    assert result["rest"]["header"] and result["rest"]["students"] == ["1", "2"] and result["rest"]["feed"] == []
    assert result["all"]["feed"] == [["time", "Everyone got 10 min more time.", False]]
    assert result["all"]["students"] == []  # already applied from the REST answer
    assert result["afterAll"] == [{"text": "39:55", "level": ""}, "44:55", "+5 min", None, ""]
    assert result["less"] == [["time", "Amira Haddad got 1 min less time.", False]]
    assert result["lessCard"] == "+4 min"


def test_finish_and_reopen_show_on_the_card_from_the_answer_and_the_event(modules):
    result = run_controls(
        modules,
        """
        const b = loadedWithControls();
        const out = {};
        const body = (overrides) => ({id: 101, student_id: 1, status: "IN_PROGRESS", score: null, band: null,
            extra_seconds: 0, offline_seconds: 0, server_now: at(10), ends_at: new Date(ENDS).toISOString(),
            violations: [{id: 9, type: "TAB_SWITCH", timestamp: at(-60), verdict: null, note: null}], ...overrides});
        out.finished = seen(board.applyAttemptResult(b, body({status: "SUBMITTED", score: 3, band: 6.5}),
                                                      {control: "finish"}));
        out.finishedCard = controlsCard(b, 1);
        out.event = seen(board.receive(b, {type: "attempt_submitted", student_id: 1, attempt_id: 101, score: 3,
                                          band: 6.5, reason: "TEACHER"}));
        out.eventCard = controlsCard(b, 1);
        const reopenEnds = new Date(S + 10000 + 600000).toISOString();  // ten minutes from the reopening
        const reopenedBody = body({extra_seconds: Math.round((S + 610000 - ENDS) / 1000), ends_at: reopenEnds});
        out.reopened = seen(board.applyAttemptResult(b, reopenedBody, {control: "reopen", seconds: 600}));
        out.reopenedCard = controlsCard(b, 1, 10);
        out.reopenEvent = seen(board.receive(b, {type: "attempt_reopened", student_id: 1, attempt_id: 101,
                                                ends_at: reopenEnds, server_now: at(10)}));
        out.reopenEventCard = controlsCard(b, 1, 10);
        out.extra = board.applyAttemptResult(b, body({extra_seconds: 300}), {control: "extra", seconds: 300,
                                                                             reason: "Fire drill"}).feed;
        out.extraCard = controlsCard(b, 1);
        board.receive(b, {type: "attempt_submitted", student_id: 2, attempt_id: 102, score: 1, band: 4,
                          reason: "TIME_UP"});
        out.timeUp = [controlsCard(b, 2), b.students.get("2").submitReason];
        out.timeUpFeed = seen(board.receive(b, {type: "attempt_submitted", student_id: 2, attempt_id: 102, score: 1,
                                               band: 4, reason: "TIME_UP"})).feed;
        out.byStudent = seen(board.receive(b, {type: "attempt_submitted", student_id: 2, attempt_id: 102, score: 1,
                                              band: 4, reason: "STUDENT"})).feed;
        return out;
        """,
    )
    # The REST answer alone: the card shows the mark and who finished it at once, with no feed line of its own.
    assert result["finished"]["students"] == ["1"] and result["finished"]["feed"] == []
    card = result["finishedCard"]
    assert (card["status"], card["tags"]) == ("✓ 3/4 · 6.5", ["Finished by teacher"])
    assert card["notice"] == "Finished: 3/4, band 6.5"
    assert card["title"] == "Submitted: 3 of 4 correct, band 6.5 (finished by the teacher)"
    assert card["controls"] == {"extra": False, "finish": False, "reopen": True, "message": True, "review": True}
    finished_line = "Amira Haddad's test was finished by the teacher: 3/4, band 6.5."
    assert result["event"]["feed"] == [["submitted", finished_line, False]]
    assert result["eventCard"]["tags"] == ["Finished by teacher"]
    card = result["reopenedCard"]
    assert (card["status"], card["tags"], card["notice"], card["clock"]) == (
        "Working", ["Reopened"], "Reopened for 10 min", "10:00",
    )  # fmt: skip
    assert card["controls"] == {"extra": True, "finish": True, "reopen": False, "message": True, "review": True}
    assert result["reopenEvent"]["feed"] == [["time", "Amira Haddad's test is open again.", False]]
    assert result["reopenEventCard"]["clock"] == "10:00" and result["reopenEventCard"]["tags"] == ["Reopened"]
    assert result["extra"] == []
    # A reopened attempt shows its own clock rather than its distance from the class's deadline.
    assert (result["extraCard"]["notice"], result["extraCard"]["extra"]) == ("5 min more time (Fire drill)", "")
    timeUp, reason = result["timeUp"]
    assert (timeUp["tags"], reason, timeUp["controls"]["reopen"]) == (["Time up"], "TIME_UP", True)
    assert result["timeUpFeed"] == [["submitted", "Ben Okafor's test ran out of time: 1/4, band 4.0.", False]]
    assert result["byStudent"] == [["submitted", "Ben Okafor submitted: 1/4, band 4.0.", False]]


def test_offline_time_runs_while_a_student_is_away_and_can_be_given_back(modules):
    result = run_controls(
        modules,
        """
        const b = loadedWithControls({givenBack: {2: 5}});
        const out = {};
        out.snapshot = [controlsCard(b, 2, 0), controlsCard(b, 2, 10)];
        out.amira = controlsCard(b, 1, 10).offline;
        const joined = board.receive(b, {type: "participant_joined", student_id: 2, student_name: "Ben Okafor",
                                         connected_count: 2, timestamp: at(20)});
        out.back = [controlsCard(b, 2, 20).offline, controlsCard(b, 2, 90).offline, [...joined.attempts]];
        board.receive(b, {type: "participant_disconnected", student_id: 2, connected_count: 1, timestamp: at(30)});
        out.awayAgain = controlsCard(b, 2, 40).offline;
        board.receive(b, {type: "session_paused", paused_at: at(40), reason: null});
        out.paused = [controlsCard(b, 2, 40).offline, controlsCard(b, 2, 100).offline];
        board.receive(b, {type: "session_resumed", ends_at: new Date(ENDS + 60000).toISOString(), server_now: at(100),
                          paused_seconds: 60});
        out.resumed = controlsCard(b, 2, 110);
        // The teacher gives back what is shown (the page's answer), then its event arrives: counted once.
        const given = out.resumed.giveBack;
        const ends = new Date(ENDS + 60000 + given * 1000).toISOString();
        out.answer = seen(board.applyAttemptResult(b, {id: 102, student_id: 2, status: "IN_PROGRESS", score: null,
            band: null, extra_seconds: given, offline_seconds: 70, server_now: at(110), ends_at: ends, violations: []},
            {control: "give-back", seconds: given}));
        out.afterAnswer = controlsCard(b, 2, 110);
        out.event = seen(board.receive(b, {type: "time_extended", student_id: 2, attempt_id: 102, seconds: given,
            reason: "Offline time given back", ends_at: ends, server_now: at(110)})).feed;
        out.afterEvent = controlsCard(b, 2, 110);
        // Another teacher gives back ten seconds more: their event counts.
        board.receive(b, {type: "time_extended", student_id: 2, attempt_id: 102, seconds: 10,
            reason: "Offline time given back", ends_at: new Date(Date.parse(ends) + 10000).toISOString(),
            server_now: at(115)});
        out.other = controlsCard(b, 2, 120);
        board.receive(b, {type: "attempt_submitted", student_id: 2, attempt_id: 102, score: 0, band: 0,
                          timestamp: at(130), reason: "STUDENT"});
        out.submitted = [controlsCard(b, 2, 130).offline, controlsCard(b, 2, 500).offline,
                         controlsCard(b, 2, 500).giveBack];
        return out;
        """,
    )
    first, later = result["snapshot"]
    assert (first["offline"], later["offline"]) == (30, 40)  # 30 s at the snapshot, and counting
    assert later["offlineText"] == "Offline 40 s (5 s given back)" and later["giveBack"] == 35
    assert result["amira"] == 0
    assert result["back"] == [50, 50, ["102"]]  # back at 20 s: the count stops; the server's exact count is read
    assert result["awayAgain"] == 60
    assert result["paused"] == [60, 60]  # a pause stops it
    resumed = result["resumed"]
    assert (resumed["offline"], resumed["giveBack"]) == (70, 65)
    assert resumed["offlineText"] == "Offline 1 min 10 s (5 s given back)"
    assert result["answer"]["feed"] == [] and result["answer"]["students"] == ["2"]
    after = result["afterAnswer"]
    assert (after["offline"], after["giveBack"], after["notice"]) == (70, 0, "Gave back 1 min 5 s of offline time")
    assert after["extra"] == "+1 min 5 s"
    assert result["event"] == [["time", "Ben Okafor got 1 min 5 s more time (Offline time given back).", False]]
    assert result["afterEvent"]["giveBack"] == 0  # the event of this page's give-back counts nothing more
    assert result["other"]["giveBack"] == 0
    assert result["other"]["offlineText"] == "Offline 1 min 20 s (1 min 20 s given back)"
    assert result["submitted"] == [90, 90, 0]  # handed in: the count stops, nothing left to give back


def test_two_connections_show_as_two_devices_on_the_card(modules):
    result = run_controls(
        modules,
        """
        const b = loadedWithControls();
        const out = {snapshot: controlsCard(b, 1).devices};
        out.three = seen(board.receive(b, {type: "participant_connections", student_id: 1, student_name: "Amira Haddad",
                                          connections: 3}));
        out.threeCard = controlsCard(b, 1).devices;
        out.one = seen(board.receive(b, {type: "participant_connections", student_id: 1, student_name: "Amira Haddad",
                                        connections: 1})).feed;
        out.oneCard = controlsCard(b, 1).devices;
        board.receive(b, {type: "participant_disconnected", student_id: 1, connected_count: 0});
        out.gone = b.students.get("1").connections;
        board.receive(b, {type: "participant_joined", student_id: 1, student_name: "Amira Haddad",
                          connected_count: 1});
        out.joined = b.students.get("1").connections;
        board.receive(b, {type: "participant_connections", student_id: 1, student_name: "Amira Haddad",
                          connections: 2});
        out.again = controlsCard(b, 1).devices;
        return out;
        """,
    )
    assert result["snapshot"] == "2 devices"  # from the session's participants
    assert result["three"]["students"] == ["1"]
    assert result["three"]["feed"] == []  # the card says it; the log keeps no line of it
    assert result["threeCard"] == "3 devices"
    assert result["one"] == []
    assert result["oneCard"] == ""
    assert (result["gone"], result["joined"], result["again"]) == (0, 1, "2 devices")


def test_teacher_messages_reach_the_feed_and_the_card(modules):
    result = run_controls(
        modules,
        """
        const b = loadedWithControls();
        const out = {};
        out.all = seen(board.receive(b, {type: "teacher_message", message_id: 1, text: "Question 12 has a typo.",
                                        student_id: null, sent_at: at(0)}));
        out.one = seen(board.receive(b, {type: "teacher_message", message_id: 2, text: "Eyes on your own paper.",
                                        student_id: 2, sent_at: at(0)}));
        out.answer = seen(board.applyMessageResult(b, {id: 2, text: "Eyes on your own paper.", student_id: 2,
                                                      sent_at: at(0)}));
        out.notice = controlsCard(b, 2).notice;
        out.classAnswer = seen(board.applyMessageResult(b, {id: 1, text: "x", student_id: null, sent_at: at(0)}));
        return out;
        """,
    )
    assert result["all"]["feed"] == [["message", "Message to everyone: “Question 12 has a typo.”", False]]
    assert result["all"]["students"] == []
    assert result["one"]["feed"] == [["message", "Message to Ben Okafor: “Eyes on your own paper.”", False]]
    assert result["answer"]["feed"] == [] and result["answer"]["students"] == ["2"]
    assert result["notice"] == "Message sent: “Eyes on your own paper.”"
    assert result["classAnswer"]["students"] == []


def test_violations_can_be_confirmed_or_dismissed_and_the_card_counts_the_confirmed(modules):
    result = run_controls(
        modules,
        """
        const b = loadedWithControls();
        const out = {snapshot: controlsCard(b, 1)};
        const elsewhere = board.receive(b, {type: "violation_reviewed", student_id: 1, attempt_id: 101,
                                            violation_id: 9, verdict: "CONFIRMED"});
        out.elsewhere = [seen(elsewhere), [...elsewhere.attempts], controlsCard(b, 1)];
        const reviewed = {id: 101, student_id: 1, status: "IN_PROGRESS", score: null, band: null, extra_seconds: 0,
            offline_seconds: 0, server_now: at(5),
            violations: [{id: 9, type: "TAB_SWITCH", timestamp: at(-60), verdict: "DISMISSED", note: "my fault"}]};
        out.answer = seen(board.applyAttemptResult(b, reviewed, {control: "review", violationId: 9}));
        out.answerCard = controlsCard(b, 1);
        const own = board.receive(b, {type: "violation_reviewed", student_id: 1, attempt_id: 101, violation_id: 9,
                                      verdict: "DISMISSED"});
        out.own = [own.feed.map((f) => f.text), [...own.attempts]];
        out.newViolation = seen(board.receive(b, {type: "tab_violation", student_id: 1, attempt_id: 101,
                                                 violation_type: "PASTE", violations_count: 2, timestamp: at(20)}));
        out.newCard = controlsCard(b, 1);
        out.unknown = [...board.receive(b, {type: "violation_reviewed", student_id: 1, attempt_id: 101,
                                            violation_id: 99, verdict: "CONFIRMED"}).attempts];
        board.applyAttempt(b, {...reviewed, violations: [...reviewed.violations,
            {id: 99, type: "PASTE", timestamp: at(20), verdict: "CONFIRMED", note: null}]});
        out.reread = controlsCard(b, 1);
        out.label = board.violationText({type: "PASTE", timestamp: at(20)}, () => "14:03:22");
        return out;
        """,
    )
    snap = result["snapshot"]
    assert (snap["violations"], snap["confirmed"], snap["reviewed"], snap["list"]) == (1, 0, "", [[9, None, None]])
    changes, attempts, card = result["elsewhere"]
    assert changes["feed"] == [["review", "A violation of Amira Haddad was confirmed.", True]]
    assert attempts == ["101"]  # reviewed by someone else: the attempt is read again, for the note
    assert (card["confirmed"], card["reviewed"]) == (1, "1 confirmed")
    assert result["answer"]["feed"] == []
    card = result["answerCard"]
    assert (card["confirmed"], card["reviewed"], card["list"], card["notice"]) == (
        0, "", [[9, "DISMISSED", "my fault"]], "Violation dismissed",
    )  # fmt: skip
    assert result["own"] == [["A violation of Amira Haddad was dismissed."], []]  # this page's own: no re-read
    card = result["newCard"]
    assert (card["violations"], card["list"]) == (2, [[9, "DISMISSED", "my fault"], [None, None, None]])
    assert result["unknown"] == ["101"]
    assert (result["reread"]["confirmed"], result["reread"]["reviewed"]) == (1, "1 confirmed")
    assert result["label"] == "Pasted text at 14:03:22"


def test_a_paused_session_s_snapshot_keeps_the_clock_frozen_and_the_live_only_facts(modules):
    result = run_controls(
        modules,
        """
        const b = board.createBoard({sessionId: 7, status: "PAUSED", questionCount: 4, questionNumbers: QUESTIONS,
                                     pausedAt: at(-120)});
        const token = board.beginSnapshot(b);
        const paused = withControls();
        paused.session = {...paused.session, status: "PAUSED"};
        paused.stats.students[0] = {...paused.stats.students[0], extra_seconds: 600};
        paused.attempts[0] = {...paused.attempts[0], extra_seconds: 600};
        board.applySnapshot(b, token, paused);
        board.endSnapshot(b, token);
        const out = {countdown: [countdownAt(b, 0), countdownAt(b, 300)], amira: controlsCard(b, 1),
                     ben: controlsCard(b, 2, 60), hint: board.controlHint(b)};
        // Live-only facts survive a reload of the board: a give-back, a notice, a reopening.
        b.students.get("1").notice = {kind: "time", text: "Reopened for 10 min"};
        b.students.get("1").reopened = true;
        b.students.get("2").givenBack = 30;
        const again = board.beginSnapshot(b);
        board.applySnapshot(b, again, paused);
        board.endSnapshot(b, again);
        out.kept = [controlsCard(b, 1).notice, controlsCard(b, 1).tags, b.students.get("2").givenBack];
        // In the waiting room only messages apply.
        const waiting = board.createBoard({sessionId: 7, status: "WAITING_FOR_STUDENTS", questionCount: 4});
        board.receive(waiting, {type: "participant_joined", student_id: 5, student_name: "Zed", connected_count: 1});
        out.waiting = board.cardControls(waiting, waiting.students.get("5"));
        return out;
        """,
    )
    # 30 minutes were left at the snapshot, and the pause began two minutes before it: 32:00 stays on.
    assert result["countdown"] == [{"text": "32:00", "level": "paused"}] * 2
    amira = result["amira"]
    assert (amira["clock"], amira["clockLevel"], amira["extra"]) == ("42:00", "paused", "+10 min")
    assert result["ben"]["offline"] == 30  # a paused session counts no offline time
    assert result["hint"] == "Paused: students wait."
    assert result["kept"] == ["Reopened for 10 min", ["Reopened"], 30]
    assert result["waiting"] == {"extra": False, "finish": False, "reopen": False, "message": True, "review": False}
