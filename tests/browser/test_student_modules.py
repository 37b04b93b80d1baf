"""The test page's JavaScript modules, exercised one by one in Chromium (no server: the files are served
from static/student/ and static/common/ through a route): the outbox, the merge of server state with
pending events, highlight offsets, the shared socket's reconnect backoff, the countdown on the server's
clock, and what the page makes of the teacher's live controls (events held through a pause, the frozen
clock, the notices, the teacher's messages)."""

import pytest

from tests.browser.static_modules import serve_static_modules

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.modules]

ORIGIN = "http://student.test"


@pytest.fixture
def modules(page):
    """A blank page on a made-up origin that serves static/student/*.js and static/common/*.js as ES modules."""
    return serve_static_modules(
        page, origin=ORIGIN, folders=("student", "common"), body="<!doctype html><div id='p'></div>"
    )


def run(page, body: str):
    """Run an async function body with the modules imported as `outbox`, `state`, `hl`, `timer`, `notices`
    (the student's) and `socket`, `format` (the shared ones)."""
    return page.evaluate(
        """async (body) => {
            const load = (path) => import(`/static/${path}.js`);
            const [outbox, state, hl, socket, timer, format, notices] = await Promise.all(
                ["student/outbox", "student/state", "student/highlights", "common/socket", "student/timer",
                 "common/format", "student/notices"].map(load));
            return await new Function("outbox", "state", "hl", "socket", "timer", "format", "notices",
                `return (async () => { ${body} })();`)(outbox, state, hl, socket, timer, format, notices);
        }""",
        body,
    )


def test_the_outbox_keeps_events_until_acknowledged_across_reloads(modules):
    result = run(
        modules,
        """
        localStorage.clear();
        const serverNow = Date.parse("2026-12-03T09:00:00Z");
        const key = outbox.outboxKey(7, 42);
        const box = new outbox.Outbox(key);
        const a = box.add("answer_submitted", {question_id: 1, answer: "TRUE"});
        box.add("progress_update", {passage_index: 0, question_index: 0});
        const h = box.add("text_highlighted", {passage_id: 3, text: "wool", position_start: 4, position_end: 8});
        box.add("highlight_removed", {ref: h.event_id});
        box.add("progress_update", {passage_index: 1, question_index: 2});
        const reloaded = new outbox.Outbox(key);  // a reload: read back from localStorage
        const types = reloaded.pending().map((e) => e.type);
        const notReady = outbox.wireMessage(reloaded.pending()[2]);
        reloaded.resolveHighlight(h.event_id, 99);
        const ready = outbox.wireMessage(reloaded.pending()[2]);
        const acked = reloaded.ack(a.event_id);
        const again = reloaded.ack(a.event_id);
        const next = reloaded.add("answer_submitted", {question_id: 1, answer: "FALSE"});
        return {
            types, notReady, ready, ackedType: acked.type, again,
            uuid: /^[0-9a-f-]{36}$/.test(a.event_id),
            otherUser: new outbox.Outbox(outbox.outboxKey(7, 43)).size,
            size: new outbox.Outbox(key).size,
            increasing: next.seq > h.seq,
            workSize: reloaded.workSize,
            // A laptop whose clock is an hour fast stamps its events with the server's time, as the page passes it.
            serverStamped: outbox.wireMessage(
                new outbox.Outbox(outbox.outboxKey(7, 44), localStorage, {now: () => serverNow})
                    .add("answer_submitted", {question_id: 1, answer: "TRUE"})
            ).data.made_at,
        };
        """,
    )
    assert result["types"] == ["answer_submitted", "text_highlighted", "highlight_removed", "progress_update"]
    assert result["notReady"] is None  # a removal waits for its highlight's id
    assert result["ready"]["type"] == "highlight_removed" and result["ready"]["data"]["highlight_id"] == 99
    assert result["ready"]["data"]["made_at"].endswith("Z")  # when the student made it, for the teacher's feed
    assert result["ackedType"] == "answer_submitted" and result["again"] is None
    assert result["uuid"] and result["otherUser"] == 0 and result["size"] == 4 and result["increasing"]
    assert result["workSize"] == 3  # positions and violations are not work that could be lost
    assert result["serverStamped"] == "2026-12-03T09:00:00.000Z"


def test_pending_local_events_win_over_the_server_state(modules):
    result = run(
        modules,
        """
        const attempt = {
            id: 5, status: "IN_PROGRESS", score: null, band: null,
            current_passage_index: 0, current_question_index: 0,
            answers: [{question_id: 1, answer: "TRUE"}, {question_id: 2, answer: "B"}],
            flagged_question_ids: [2],
            highlights: [{id: 11, passage_id: 3, text: "red", position_start: 0, position_end: 3}],
        };
        const pending = [
            {event_id: "e1", type: "answer_submitted", data: {question_id: 1, answer: "FALSE"}},
            {event_id: "e2", type: "answer_submitted", data: {question_id: 2, answer: ""}},
            {event_id: "e3", type: "question_flagged", data: {question_id: 2, flagged: false}},
            {event_id: "e4", type: "question_flagged", data: {question_id: 4, flagged: true}},
            {event_id: "e5", type: "text_highlighted",
             data: {passage_id: 3, text: "wool", position_start: 4, position_end: 8}},
            {event_id: "e6", type: "highlight_removed", data: {highlight_id: 11}},
            {event_id: "e7", type: "progress_update", data: {passage_index: 1, question_index: 3}},
        ];
        const s = state.mergeState(attempt, pending);
        const t = state.mergeState(attempt, [...pending,
            {event_id: "e8", type: "highlight_removed", data: {ref: "e5"}}]);
        return {
            answers: [...s.answers], flags: [...s.flags], position: s.position,
            highlights: s.highlights.map((h) => [h.key, h.pending, h.start, h.end]),
            afterRemoval: t.highlights.length,
        };
        """,
    )
    assert result["answers"] == [["1", "FALSE"]]  # the pending answer kept; the cleared one gone
    assert result["flags"] == ["4"]
    assert result["position"] == {"passage_index": 1, "question_index": 3}
    assert result["highlights"] == [["e:e5", True, 4, 8]]
    assert result["afterRemoval"] == 0


def test_highlight_offsets_count_code_points_over_the_passage_text(modules):
    text = "Across the desert 🌍 caravans of camels\n\ncarried salt."
    result = run(
        modules,
        f"""
        const text = {text!r};
        const el = document.getElementById("p");
        hl.renderPassage(el, text, [{{key: "h:1", start: 7, end: 17, pending: false}}]);
        const sameText = el.textContent === text;
        const marks = [...el.querySelectorAll("mark")].map((m) => m.textContent);
        // Select " camels\\n\\ncarried " across text nodes: white space is trimmed.
        const at = (offset) => {{
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {{
                if (offset <= node.data.length) return [node, offset];
                offset -= node.data.length;
            }}
        }};
        const start16 = text.indexOf(" camels"), end16 = text.indexOf("salt");
        const range = document.createRange();
        range.setStart(...at(start16));
        range.setEnd(...at(end16));
        const sel = hl.selectionOffsets(el, range);
        const cpStart = hl.utf16ToCodePoints(text, sel.start), cpEnd = hl.utf16ToCodePoints(text, sel.end);
        hl.renderPassage(el, text, [{{key: "h:1", start: 7, end: 17}}, {{key: "e:x", start: cpStart, end: cpEnd,
                                    pending: true}}]);
        return {{sameText, marks, sel: text.slice(sel.start, sel.end), cpStart, cpEnd,
                back: hl.codePointsToUtf16(text, cpStart) === sel.start,
                pending: [...el.querySelectorAll("mark.pending")].map((m) => m.textContent).join(""),
                stillSame: el.textContent === text}};
        """,
    )
    assert result["sameText"] and result["stillSame"]
    assert result["marks"] == [text[7:17]]
    expected = "camels\n\ncarried"
    assert result["sel"] == expected
    assert (result["cpStart"], result["cpEnd"]) == (text.index(expected), text.index(expected) + len(expected))
    assert result["back"] and result["pending"] == expected


def test_reconnects_back_off_exponentially_with_jitter_up_to_a_cap(modules):
    result = run(
        modules,
        """
        const low = [0, 1, 2, 3, 4, 5, 10].map((n) => socket.backoffDelay(n, () => 0));
        const high = [0, 1, 2, 3, 4, 5, 10].map((n) => socket.backoffDelay(n, () => 1));
        return {low, high, cap: socket.BACKOFF_CAP_MS};
        """,
    )
    assert result["high"] == [500, 1000, 2000, 4000, 8000, 10000, 10000]
    assert result["low"] == [h // 2 for h in result["high"]]


def test_the_countdown_runs_on_the_server_s_clock(modules):
    result = run(
        modules,
        """
        const warnings = [], zero = [];
        const c = new timer.Countdown({warnings: [600, 300], onWarning: (t) => warnings.push(t),
                                       onZero: () => zero.push(true)});
        // The laptop's clock is two hours slow: the server says it is 12:00 and the test ends at 12:04.
        const serverNow = new Date(Date.now() + 2 * 3600 * 1000);
        const endsAt = new Date(serverNow.getTime() + 4 * 60 * 1000);
        c.sync(endsAt.toISOString(), serverNow.toISOString());
        const remaining = c.remainingMs();
        c.tick(); c.tick();
        c.sync(new Date(serverNow.getTime() - 1000).toISOString(), null);
        c.tick(); c.tick();
        return {remaining, warnings, zero: zero.length, formats: [format.formatRemaining(3725000),
                format.formatRemaining(59001), format.formatRemaining(-5)]};
        """,
    )
    assert 239_000 < result["remaining"] <= 240_000
    assert result["warnings"] == [300]  # both thresholds crossed at once: the nearer one is announced, once
    assert result["zero"] == 1
    assert result["formats"] == ["1:02:05", "1:00", "0:00"]


def test_each_page_s_socket_keeps_its_own_timings(modules):
    result = run(
        modules,
        """
        const student = new socket.LiveSocket("ws://x/ws", {},
            {heartbeatMs: 10000, silenceLimitMs: 25000, backoffBaseMs: 500, backoffCapMs: 10000});
        const teacher = new socket.LiveSocket("ws://x/ws", {},
            {heartbeatMs: 15000, silenceLimitMs: 40000, backoffBaseMs: 500, backoffCapMs: 5000});
        const delays = (s) => [0, 1, 2, 3, 4, 5, 10].map((n) => s.backoffDelay(n, () => 1));
        const timings = (s) => [s.heartbeatMs, s.silenceLimitMs];
        return {student: delays(student), teacher: delays(teacher),
                studentTimings: timings(student), teacherTimings: timings(teacher),
                defaults: timings(new socket.LiveSocket("ws://x/ws", {}))};
        """,
    )
    assert result["student"] == [500, 1000, 2000, 4000, 8000, 10000, 10000]
    assert result["teacher"] == [500, 1000, 2000, 4000, 5000, 5000, 5000]
    assert result["studentTimings"] == result["defaults"] == [10000, 25000]
    assert result["teacherTimings"] == [15000, 40000]


def test_the_socket_reconnects_after_a_drop_waits_for_the_network_and_stops_when_told(modules):
    """One shared socket for both pages, against a fake WebSocket and a fake network: a fresh URL (the
    teacher's ticket) for every attempt, a drop backs off and reconnects, going offline abandons the socket
    and waits for the "online" event, a silent server counts as a drop, and a failing URL can stop it."""
    result = run(
        modules,
        """
        const made = [];
        class FakeSocket {
            static OPEN = 1;
            constructor(url) { this.url = url; this.readyState = 0; this.sent = []; made.push(this); }
            send(data) { this.sent.push(JSON.parse(data).type); }
            close(code, reason) { this.closed = [code ?? null, reason ?? null]; this.readyState = 3; }
            open() { this.readyState = 1; this.onopen?.(); }
        }
        globalThis.WebSocket = FakeSocket;
        let online = true;
        Object.defineProperty(navigator, "onLine", {get: () => online, configurable: true});
        const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
        const log = [];
        const handlers = {
            onConnecting: ({attempts}) => log.push(`connecting ${attempts}`),
            onOpen: () => log.push("open"),
            onMessage: (message) => log.push(`message ${message.type}`),
            onClose: ({attempts}) => log.push(`close ${attempts}`),
            onRetry: ({delayMs, attempts}) => log.push(`retry ${attempts} ${delayMs >= 10 && delayMs <= 20}`),
            onStateChange: (state) => log.push(`state ${state}`),
        };
        let tickets = 0;
        const s = new socket.LiveSocket(async () => `ws://x/ws?ticket=${++tickets}`, handlers,
                                        {heartbeatMs: 30, silenceLimitMs: 80, backoffBaseMs: 20, backoffCapMs: 40});
        const steps = {};
        s.start();
        await sleep(0);
        made[0].open();
        made[0].onmessage({data: JSON.stringify({type: "pong"})});
        made[0].onmessage({data: "not json"});
        steps.opened = [...log.splice(0)];
        s.drop();
        steps.dropped = [...log.splice(0)];
        await sleep(60);
        steps.reconnecting = [...log.splice(0)];
        online = false;
        dispatchEvent(new Event("offline"));
        await sleep(100);
        steps.offline = [...log.splice(0)];
        const whileOffline = made.length;
        online = true;
        dispatchEvent(new Event("online"));
        await sleep(0);
        made[2].open();
        await sleep(250);  // no message from the server: heartbeats, then it counts as dead
        steps.silent = [...log.splice(0)];
        s.stop(1000, "bye");
        const afterStop = made.length;
        await sleep(100);

        const failing = [];
        const t = new socket.LiveSocket(async () => { throw new Error("signed out"); }, {
            onUrlError: (error) => { failing.push(error.message); t.stop(); },
            onRetry: () => failing.push("retry"),
        });
        t.start();
        await sleep(50);
        return {steps, urls: made.map((m) => m.url), closed: made.map((m) => m.closed ?? null),
                whileOffline, afterStop, stillStopped: made.length === afterStop, heartbeats: made[2].sent,
                failing, failingState: t.state};
        """,
    )
    steps = result["steps"]
    assert steps["opened"] == ["connecting 0", "state online", "open", "message pong"]
    assert steps["dropped"] == ["state reconnecting", "close 0", "retry 1 true"]
    assert steps["reconnecting"] == ["connecting 1"]
    assert steps["offline"] == ["state offline", "close 1"]  # abandoned at once; no retry while offline
    assert result["whileOffline"] == 2
    assert steps["silent"] == [
        "state reconnecting", "connecting 0", "state online", "open",  # back online: at once, backoff reset
        "state reconnecting", "close 0", "retry 1 true", "connecting 1",  # the server went quiet
    ]  # fmt: skip
    assert result["heartbeats"] and set(result["heartbeats"]) == {"heartbeat"}
    assert result["urls"][:3] == ["ws://x/ws?ticket=1", "ws://x/ws?ticket=2", "ws://x/ws?ticket=3"]
    assert result["closed"][:3] == [[4003, "dropped"], [4002, "offline"], [4001, "silent"]]
    assert result["stillStopped"]
    assert result["failing"] == ["signed out"] and result["failingState"] == "offline"


def test_an_event_refused_as_paused_stays_in_the_outbox_and_goes_again_after_the_resume(modules):
    """The server refuses a student's event with `session_paused` without using up its event_id: the page keeps
    it (across a reload too), sends nothing while paused, and sends the same event again after the resume."""
    result = run(
        modules,
        """
        localStorage.clear();
        const key = outbox.outboxKey(8, 42);
        const box = new outbox.Outbox(key);
        const inFlight = new Set();
        const send = () => {
            const plan = outbox.sendPlan(box.entries, {inFlight, limit: 100});
            for (const e of plan.send) inFlight.add(e.event_id);
            return plan.send.map((e) => e.event_id);
        };
        const answer = box.add("answer_submitted", {question_id: 1, answer: "TRUE"});
        const flag = box.add("question_flagged", {question_id: 2, flagged: true});
        const firstSend = send();
        // The flag was applied before the pause; the answer arrived after it and was refused.
        box.ack(flag.event_id); inFlight.delete(flag.event_id);
        const action = outbox.refusalAction("session_paused");
        inFlight.delete(answer.event_id);
        if (action !== "hold") box.drop(answer.event_id);
        const kept = box.pending().map((e) => e.event_id);
        const workSize = box.workSize;
        const afterReload = new outbox.Outbox(key).pending().map((e) => e.event_id);
        // During the pause the page holds everything (flush does not run); after the resume:
        const resent = send();
        const applied = box.ack(answer.event_id);
        return {
            firstSend: firstSend.length, action, kept, workSize, afterReload, resent,
            same: resent[0] === answer.event_id, applied: applied && applied.data.answer, left: box.size,
            others: ["rate_limited", "server_error", "duplicate_event", "time_up", "attempt_closed",
                     "already_submitted", "invalid_answer"].map(outbox.refusalAction),
        };
        """,
    )
    assert result["firstSend"] == 2 and result["action"] == "hold"
    assert len(result["kept"]) == 1 and result["workSize"] == 1  # kept, still work waiting (not lost)
    assert result["afterReload"] == result["kept"]
    assert result["resent"] == result["kept"] and result["same"]  # the same event_id goes again
    assert result["applied"] == "TRUE" and result["left"] == 0
    assert result["others"] == ["retry", "retry", "retry", "closed", "closed", "closed", "drop"]


def test_the_send_plan_keeps_order_skips_what_is_in_flight_and_drops_what_a_newer_answer_replaced(modules):
    result = run(
        modules,
        """
        localStorage.clear();
        const box = new outbox.Outbox(outbox.outboxKey(9, 1));
        const a1 = box.add("answer_submitted", {question_id: 1, answer: "A"});
        const h = box.add("text_highlighted", {passage_id: 3, text: "x", position_start: 0, position_end: 1});
        const r = box.add("highlight_removed", {ref: h.event_id});
        const a2 = box.add("answer_submitted", {question_id: 2, answer: "B"});
        const a3 = box.add("answer_submitted", {question_id: 3, answer: "C"});
        const plan = outbox.sendPlan(box.entries, {
            inFlight: new Set([h.event_id]), appliedSeq: new Map([["answer:1", a1.seq + 5]]), limit: 3,
        });
        return {send: plan.send.map((e) => e.event_id), stale: plan.stale.map((e) => e.event_id),
                expected: [a2.event_id, a3.event_id], a1: a1.event_id};
        """,
    )
    assert result["stale"] == [result["a1"]]  # a newer answer to question 1 is already on the server
    assert result["send"] == result["expected"]  # the removal waits for its highlight id; at most 3 in flight


def test_the_countdown_freezes_while_paused_and_runs_on_after_the_resume(modules):
    result = run(
        modules,
        """
        const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
        const ticks = [], warnings = [], zero = [];
        const c = new timer.Countdown({warnings: [600, 300], onTick: (ms) => ticks.push(ms),
                                       onWarning: (t) => warnings.push(t), onZero: () => zero.push(true)});
        const serverNow = new Date();
        c.sync(new Date(serverNow.getTime() + 20 * 60 * 1000).toISOString(), serverNow.toISOString());
        c.freeze(4 * 60 * 1000);  // paused with 4:00 left (the state sync's remaining_seconds)
        const frozenAt = c.remainingMs();
        await sleep(300);
        c.tick();
        const stillFrozen = c.remainingMs();
        const noWarningWhilePaused = warnings.length;
        c.shift(5 * 60 * 1000);  // extra time during the pause: the stopped clock moves too
        const afterShift = c.remainingMs();
        c.freeze(null);  // reloaded during a pause, time not known yet: nothing shows
        const unknown = [c.known, c.remainingMs()];
        const ticksBefore = ticks.length;
        c.tick();
        const tickedUnknown = ticks.length !== ticksBefore;
        c.freeze(0);
        c.tick();
        const zeroWhilePaused = zero.length;
        // Resumed: the end moves later by the time spent paused.
        const endBefore = c.endsAt;
        c.unfreeze(90 * 1000);
        const moved = c.endsAt - endBefore;
        const running = c.frozen;
        // The last minutes, time runs out, then the teacher gives time: the warnings and the zero are due again.
        const at = (ms) => new Date(Date.now() + c.offset + ms).toISOString();
        c.sync(at(4 * 60 * 1000), null);
        c.tick();
        c.sync(at(-1000), null);
        c.tick();
        c.shift(-60 * 1000);  // a correction never moves the end before now
        const notBeforeNow = c.remainingMs() >= -50;
        c.sync(at(8 * 60 * 1000), null);
        const rearmed = [c.zeroFired, [...c.fired]];
        c.tick();
        c.sync(at(4 * 60 * 1000), null);
        c.tick();
        c.sync(at(-1000), null);
        c.tick();
        return {frozenAt, stillFrozen, noWarningWhilePaused, afterShift, unknown, tickedUnknown, zeroWhilePaused,
                moved, running, zero: zero.length, notBeforeNow, rearmed, warnings};
        """,
    )
    assert result["frozenAt"] == result["stillFrozen"] == 240_000  # stopped while paused
    assert result["noWarningWhilePaused"] == 0 and result["zeroWhilePaused"] == 0
    assert result["afterShift"] == 540_000
    assert result["unknown"] == [False, None] and not result["tickedUnknown"]
    assert result["moved"] == 90_000 and result["running"] is False
    assert result["zero"] == 2 and result["notBeforeNow"]  # once before the time given, once after
    assert result["rearmed"] == [False, [600]]  # 8 minutes left: the 5-minute warning is due again
    assert result["warnings"] == [300, 300]


def test_the_notices_of_time_given_and_of_a_reopened_attempt(modules):
    result = run(
        modules,
        """
        const now = "2026-11-30T10:00:00Z";
        const own = {student_id: 42, attempt_id: 7, ends_at: now, server_now: now, seconds: 300, reason: null};
        return {
            durations: [300, 60, 90, 45, 3600 + 120].map((s) => notices.durationText(s)),
            rounded: notices.durationText(299.6),
            own: notices.extraTimeText(own),
            ownReason: notices.extraTimeText({...own, seconds: 1500, reason: "Access arrangement"}),
            back: notices.extraTimeText({...own, seconds: 37}),
            klass: notices.extraTimeText({...own, student_id: null, attempt_id: null, seconds: 600}),
            less: notices.extraTimeText({...own, seconds: -120}),
            concerns: [notices.extensionConcerns(own, 42), notices.extensionConcerns(own, "42"),
                       notices.extensionConcerns(own, 43), notices.extensionConcerns({student_id: null}, 43)],
            reopen: notices.reopenText({student_id: 42, ends_at: "2026-11-30T10:10:00Z", server_now: now}),
            reopenShort: notices.reopenText({ends_at: "2026-11-30T10:00:30Z", server_now: now}),
        };
        """,
    )
    assert result["durations"] == ["5 minutes", "1 minute", "1 minute 30 seconds", "45 seconds", "62 minutes"]
    assert result["rounded"] == "5 minutes"
    assert result["own"] == "Your teacher gave you 5 more minutes."
    assert result["ownReason"] == "Your teacher gave you 25 more minutes. Reason: Access arrangement"
    assert result["back"] == "Your teacher gave you 37 more seconds."
    assert result["klass"] == "Your teacher gave the class 10 more minutes."
    assert result["less"] == "Your teacher took 2 minutes off your time."
    assert result["concerns"] == [True, True, False, True]
    assert result["reopen"] == "Your teacher reopened your test: 10 minutes."
    assert result["reopenShort"] == "Your teacher reopened your test: 30 seconds."


def test_teacher_messages_are_listed_once_oldest_first_and_only_those_for_this_student(modules):
    result = run(
        modules,
        """
        const log = new notices.MessageLog(42);
        const fromRest = [
            {id: 3, text: "Question 12: read 'north' for 'south'.", student_id: null, sent_at: "2026-11-30T10:05:00Z"},
            {id: 1, text: "Good luck!", student_id: null, sent_at: "2026-11-30T10:00:00Z"},
            {id: 2, text: "Amira, please sit at the front.", student_id: 42, sent_at: "2026-11-30T10:00:00Z"},
        ];
        const live = {type: "teacher_message", message_id: 4, text: "Ten minutes left.", student_id: null,
                      sent_at: "2026-11-30T10:50:00Z"};
        const addedLive = log.add(live);  // the socket's message came before the list
        const added = fromRest.map((m) => log.add(m)).map(Boolean);
        const again = [log.add({...live}), log.add({id: 4, text: "Ten minutes left.", student_id: null}),
                       log.add({id: "1", text: "Good luck!"})];
        const foreign = log.add({message_id: 9, text: "Ben, see me.", student_id: 43, sent_at: "2026-11-30T10:01:00Z"});
        return {addedLive: addedLive && addedLive.id, added, again, foreign, size: log.size,
                order: log.list().map((m) => [m.id, m.studentId])};
        """,
    )
    assert result["addedLive"] == 4 and result["added"] == [True, True, True]
    assert result["again"] == [None, None, None]  # no duplicates, whichever way a message came
    assert result["foreign"] is None  # another student's message is not this page's
    assert result["size"] == 4
    assert result["order"] == [[1, None], [2, 42], [3, None], [4, None]]


def test_a_note_on_a_highlight_waits_for_its_id_keeps_its_text_and_shows_in_the_state(modules):
    result = run(
        modules,
        """
        localStorage.clear();
        const box = new outbox.Outbox(outbox.outboxKey(8, 42));
        const h = box.add("text_highlighted", {passage_id: 3, text: "wool", position_start: 4, position_end: 8});
        const n = box.add("highlight_noted", {ref: h.event_id, note: "the colour"});
        const notReady = outbox.wireMessage(n);
        const merged = state.mergeState({highlights: [{id: 11, passage_id: 3, text: "red", position_start: 0,
            position_end: 3, note: "kept"}]}, box.pending());
        box.resolveHighlight(h.event_id, 99);
        const ready = outbox.wireMessage(box.pending()[1]);
        const refused = new outbox.Outbox(outbox.outboxKey(8, 43));
        const h2 = refused.add("text_highlighted", {passage_id: 3, text: "x", position_start: 0, position_end: 1});
        refused.add("highlight_noted", {ref: h2.event_id, note: "x"});
        refused.dropHighlightRefs(h2.event_id);
        return {notReady, ready: ready.data, notes: merged.highlights.map((x) => x.note), left: refused.size};
        """,
    )
    assert result["notReady"] is None
    assert result["ready"] == {**result["ready"], "highlight_id": 99, "note": "the colour"}
    assert "ref" not in result["ready"]
    assert result["notes"] == ["kept", "the colour"]
    assert result["left"] == 1


def test_an_essay_s_newer_save_replaces_the_one_queued_and_words_count_as_the_server_counts(modules):
    result = run(
        modules,
        """
        localStorage.clear();
        const box = new outbox.Outbox(outbox.outboxKey(9, 2));
        box.add("answer_submitted", {question_id: 5, answer: "Museums"}, {replacesPending: true});
        const other = box.add("answer_submitted", {question_id: 6, answer: "Art"}, {replacesPending: true});
        const flag = box.add("question_flagged", {question_id: 5, flagged: true});
        const last = box.add("answer_submitted", {question_id: 5, answer: "Museums rose"}, {replacesPending: true});
        const words = await import("/static/common/words.js");
        return {
            kept: new outbox.Outbox(outbox.outboxKey(9, 2)).pending().map((e) => e.event_id),
            expected: [other.event_id, flag.event_id, last.event_id],
            stored: Object.keys(last).includes("replacesPending"),
            counts: ["", "The chart shows   three museums.", "It's a well-known fact: visitors rose by 25% in 2019.",
                     "naïve café — déjà vu", "snake_case counts as two", "’Twas the start"].map(words.countWords),
            label: [words.wordsText(1), words.wordsText(213)],
        };
        """,
    )
    assert result["kept"] == result["expected"] and not result["stored"]
    assert result["counts"] == [0, 5, 10, 4, 5, 3]  # the same cases as tests/test_writing_attempts.py
    assert result["label"] == ["1 word", "213 words"]
