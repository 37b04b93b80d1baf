"""The timeline's replay (static/teacher/replay-state.js), exercised alone in Chromium (no server, no DOM): the
student's paper rebuilt at any moment from the attempt's logged events, and stepping from event to event."""

import pytest

from tests.browser.static_modules import serve_static_modules

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.modules]

ORIGIN = "http://replay.test"

# Questions 11..13 (numbers 1..3); the steps, seconds after 10:00.
SETUP = """
const T0 = Date.parse("2026-01-01T10:00:00Z");
const s = (seconds) => T0 + 1000 * seconds;
const step = (seconds, type, fields = {}) => ({at: s(seconds), type, words: type, ...fields});
const make = () => replay.createReplay({
    start: "2026-01-01T10:00:00Z", end: "2026-01-01T10:10:00Z",
    questions: [{id: 11, number: 1}, {id: 12, number: 2}, {id: 13, number: 3}],
    steps: [
        step(120, "answer_submitted", {question_id: 12, answer: "wool"}),  // out of order: sorted
        step(5, "connected"),
        step(30, "progress_update", {passage_index: 0, question_index: 0}),
        step(60, "answer_submitted", {question_id: 11, answer: "TRUE"}),
        step(90, "text_highlighted", {highlight_id: 7, passage_id: 3, text: "red wool"}),
        step(95, "highlight_noted", {highlight_id: 7, note: "see Q2"}),
        step(100, "question_flagged", {question_id: 13, flagged: true}),
        step(150, "tab_violation", {violation_type: "TAB_SWITCH"}),
        step(170, "tab_violation", {violation_type: "TAB_SWITCH", returned: true, away_seconds: 20}),
        step(200, "answer_submitted", {question_id: 11, answer: "  "}),
        step(210, "highlight_removed", {highlight_id: 7}),
        step(220, "question_flagged", {question_id: 13, flagged: false}),
        step(300, "disconnected"),
        step(400, "attempt_submitted"),
    ],
});
const view = (paper) => ({answers: paper.answers, flagged: paper.flagged, highlights: paper.highlights,
                          current: paper.current, connected: paper.connected, away: paper.away,
                          ended: paper.ended, last: paper.last && paper.last.type, count: paper.count});
"""


@pytest.fixture
def modules(page):
    return serve_static_modules(page, origin=ORIGIN, folders=("teacher", "common"))


def run(page, body: str):
    return page.evaluate(
        """async ([setup, body]) => {
            const replay = await import("/static/teacher/replay-state.js");
            return await new Function("replay", `${setup}; return (async () => { ${body} })();`)(replay);
        }""",
        [SETUP, body],
    )


def test_the_paper_at_each_moment(modules):
    result = run(
        modules,
        """
        const r = make();
        return {start: view(replay.paperAt(r, s(0))), at60: view(replay.paperAt(r, s(60))),
                at160: view(replay.paperAt(r, s(160))), at250: view(replay.paperAt(r, s(250))),
                end: view(replay.paperAt(r, s(600)))};
        """,
    )
    assert result["start"] == {"answers": {}, "flagged": [], "highlights": [], "current": None, "connected": None,
                               "away": False, "ended": False, "last": None, "count": 0}  # fmt: skip
    # A step at the moment itself counts: the answer given at +60 s is there at +60 s.
    assert result["at60"]["answers"] == {"11": "TRUE"} and result["at60"]["current"]["question_index"] == 0
    assert result["at160"] == {
        "answers": {"11": "TRUE", "12": "wool"}, "flagged": ["13"],
        "highlights": [{"id": 7, "passage_id": 3, "text": "red wool", "note": "see Q2"}],
        "current": {"passage_index": 0, "question_index": 1}, "connected": True, "away": True, "ended": False,
        "last": "tab_violation", "count": 8,
    }  # fmt: skip
    assert result["at250"]["answers"] == {"12": "wool"}  # the answer to Q1 was cleared at +200 s
    assert result["at250"]["highlights"] == [] and result["at250"]["flagged"] == [] and not result["at250"]["away"]
    assert result["end"]["connected"] is False and result["end"]["ended"] is True and result["end"]["count"] == 14


def test_stepping_from_event_to_event_and_the_offset(modules):
    result = run(
        modules,
        """
        const r = make();
        const rel = (ms) => (ms - T0) / 1000;
        return {next0: rel(replay.nextStepMs(r, s(0))), next60: rel(replay.nextStepMs(r, s(60))),
                last: rel(replay.nextStepMs(r, s(400))), previous60: rel(replay.previousStepMs(r, s(60))),
                first: rel(replay.previousStepMs(r, s(5))), by: replay.stepsBy(r, s(99.5)),
                offsets: [0, 59.9, 61, 3725].map(replay.offsetText)};
        """,
    )
    assert result["next0"] == 5 and result["next60"] == 90 and result["last"] == 600  # the end after the last
    assert result["previous60"] == 30 and result["first"] == 0  # the start before the first
    assert result["by"] == 5  # +5, +30, +60, +90 and +95 s
    assert result["offsets"] == ["+00:00", "+00:59", "+01:01", "+62:05"]
