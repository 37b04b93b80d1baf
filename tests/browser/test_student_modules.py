"""The test page's JavaScript modules, exercised one by one in Chromium (no server: the files are served
from static/student/ and static/common/ through a route): the outbox, the merge of server state with
pending events, highlight offsets, the shared socket's reconnect backoff and the countdown on the server's
clock."""

import pytest

from tests.browser.static_modules import serve_static_modules

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORIGIN = "http://student.test"


@pytest.fixture
def modules(page):
    """A blank page on a made-up origin that serves static/student/*.js and static/common/*.js as ES modules."""
    return serve_static_modules(
        page, origin=ORIGIN, folders=("student", "common"), body="<!doctype html><div id='p'></div>"
    )


def run(page, body: str):
    """Run an async function body with the modules imported as `outbox`, `state`, `hl`, `timer` (the
    student's) and `socket`, `format` (the shared ones)."""
    return page.evaluate(
        """async (body) => {
            const load = (path) => import(`/static/${path}.js`);
            const [outbox, state, hl, socket, timer, format] = await Promise.all(
                ["student/outbox", "student/state", "student/highlights", "common/socket", "student/timer",
                 "common/format"].map(load));
            return await new Function("outbox", "state", "hl", "socket", "timer", "format",
                `return (async () => { ${body} })();`)(outbox, state, hl, socket, timer, format);
        }""",
        body,
    )


def test_the_outbox_keeps_events_until_acknowledged_across_reloads(modules):
    result = run(
        modules,
        """
        localStorage.clear();
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
        };
        """,
    )
    assert result["types"] == ["answer_submitted", "text_highlighted", "highlight_removed", "progress_update"]
    assert result["notReady"] is None  # a removal waits for its highlight's id
    assert result["ready"]["data"] == {"highlight_id": 99} and result["ready"]["type"] == "highlight_removed"
    assert result["ackedType"] == "answer_submitted" and result["again"] is None
    assert result["uuid"] and result["otherUser"] == 0 and result["size"] == 4 and result["increasing"]
    assert result["workSize"] == 3  # positions and violations are not work that could be lost


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
