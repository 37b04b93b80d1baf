"""The live monitor's pace lanes and projected bands (static/teacher/pace.js, pace-read.js, projection.js),
exercised alone in Chromium (no server, no DOM) with figures computed by hand: the guide of 20 minutes a
passage, "behind pace", "stuck" by the class's median and by a quiet spell, pauses left out of the test's time,
and the projected band against exams/marking.py itself."""

import pytest

from exams.choices import Module
from exams.marking import BAND_TABLES, band_for, normalise
from tests.browser.static_modules import serve_static_modules

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.modules]

ORIGIN = "http://pace.test"

# A paper of twelve questions in three passages of four (indices 0..11), an hour: 1200 s a passage. Four students
# start at T0; B, C and A leave Q2 (index 1) after 60, 120 and 140 s; D is still on it since T0 + 90 s.
SETUP = """
const T0 = Date.parse("2026-01-01T10:00:00Z");
const s = (seconds) => T0 + 1000 * seconds;
const newLanes = (extra = {}) => pace.createLanes({
    startedAt: "2026-01-01T10:00:00Z", limitSeconds: 3600, secondsPerMinute: 60,
    passages: [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]],
    questionNumbers: {101: 1, 102: 2, 103: 3, 104: 4, 105: 5, 106: 6},
    attempts: {
        1: {started: T0, moves: [[s(60), 1, 0], [s(120), 1, 1], [s(200), 2, 0]]},
        2: {started: T0, moves: [[s(100), 1, 0], [s(160), 2, 0]]},
        3: {started: T0, moves: [[s(50), 1, 0], [s(170), 2, 0]]},
        4: {started: T0, moves: [[s(90), 1, 0]]},
    },
    ...extra,
});
const working = (id, extraSeconds = 0) => ({id, attemptStatus: "IN_PROGRESS", extraSeconds});
const brief = (state) => state && {index: state.index, dwell: state.dwellSeconds, quiet: state.quietSeconds,
                                    median: state.medianSeconds, lag: state.lagSeconds, behind: state.behind,
                                    stuckBy: state.stuckBy};
"""


@pytest.fixture
def modules(page):
    return serve_static_modules(page, origin=ORIGIN, folders=("teacher", "common"))


def run(page, body: str, args=None):
    """Run an async function body with pace.js, pace-read.js and projection.js imported, after SETUP."""
    return page.evaluate(
        """async ([setup, body, args]) => {
            const pace = await import("/static/teacher/pace.js");
            const read = await import("/static/teacher/pace-read.js");
            const projection = await import("/static/teacher/projection.js");
            const run = new Function("pace", "read", "projection", "args",
                                     `${setup}; return (async () => { ${body} })();`);
            return await run(pace, read, projection, args);
        }""",
        [SETUP, body, args],
    )


def test_the_guide_is_twenty_minutes_a_passage_scaled_by_the_time_limit_and_extra_time(modules):
    result = run(
        modules,
        """
        const lanes = newLanes();
        const short = newLanes({limitSeconds: 1800});
        return {q2: pace.guideSeconds(lanes, 1), q6: pace.guideSeconds(lanes, 5), q12: pace.guideSeconds(lanes, 11),
                extra: pace.guideSeconds(lanes, 2, 900), short: pace.guideSeconds(short, 3),
                unknown: pace.guideSeconds(lanes, 40), points: pace.guidePoints(lanes)};
        """,
    )
    assert result["q2"] == 600  # 1200 × 2/4: passage 1's second question
    assert result["q6"] == 1800  # 1200 × (1 + 2/4)
    assert result["q12"] == 3600  # passage 3 done at the hour
    assert result["extra"] == 1125  # 25 % extra time: 1500 s a passage, × 3/4
    assert result["short"] == 600  # a 30-minute session: 10 minutes a passage
    assert result["unknown"] is None
    assert result["points"] == [[0, 0], [1200, 3], [1200, 4], [2400, 7], [2400, 8], [3600, 11]]


def test_stuck_by_three_times_the_class_median_or_four_quiet_minutes_and_an_answer_resets_the_quiet(modules):
    result = run(
        modules,
        """
        const lanes = newLanes();
        const medians = Object.fromEntries(pace.classMedians(lanes));
        const early = brief(pace.laneState(lanes, working(4), s(300)));
        const quiet = brief(pace.laneState(lanes, working(4), s(400)));
        pace.recordLane(lanes, {type: "answer_submitted", student_id: 4, question_id: 102, answer: "wool",
                                timestamp: new Date(s(280)).toISOString()});
        const answered = brief(pace.laneState(lanes, working(4), s(400)));
        const overMedian = brief(pace.laneState(lanes, working(4), s(500)));
        // A question the class took 10 s over: 40 s on it is not "stuck" (under a minute), 70 s is.
        const quick = pace.createLanes({startedAt: "2026-01-01T10:00:00Z", limitSeconds: 3600,
            passages: [[0, 1, 2, 3]], attempts: {1: {started: T0, moves: [[s(10), 1, 0]]},
                                                 2: {started: T0, moves: [[s(10), 1, 0]]},
                                                 3: {started: T0, moves: [[s(10), 1, 0]]},
                                                 4: {started: T0, moves: []}}});
        const quickly = [40, 70].map((t) => pace.laneState(quick, working(4), s(t)).stuckBy);
        return {medians, early, quiet, answered, overMedian, quickly,
                summary: read.paceSummary(lanes, pace.laneState(lanes, working(4), s(500))),
                done: pace.laneState(lanes, {id: 4, attemptStatus: "SUBMITTED"}, s(500))};
        """,
    )
    # Q1 (from the start): A 60 s, B 100 s, C 50 s, D 90 s → 75 s. Q2's stays that ended: B 60 s, C 120 s, A 140 s
    # → 120 s. Nobody has left Q3 yet: no median there.
    assert result["medians"] == {"0": 75, "1": 120}
    assert result["early"] == {"index": 1, "dwell": 210, "quiet": 210, "median": 120, "lag": -300, "behind": False,
                               "stuckBy": None}  # fmt: skip
    assert result["quiet"]["stuckBy"] == "quiet"  # 310 s on Q2 without an answer: over 4 minutes
    assert result["answered"]["quiet"] == 120 and result["answered"]["stuckBy"] is None  # 310 s < 3 × 120 s
    assert result["overMedian"]["dwell"] == 410 and result["overMedian"]["stuckBy"] == "median"  # 410 > 360
    assert result["summary"] == {
        "kind": "stuck", "text": "Stuck on Q2",
        "title": "On Q2 for 6 min 50 s: over three times the class's median of 2 min for it",
    }  # fmt: skip
    assert result["done"] is None
    assert result["quickly"] == [None, "median"]  # Q1's median 10 s: stuck only from a minute on


def test_behind_pace_is_more_than_five_minutes_behind_the_guide_and_pauses_do_not_count(modules):
    result = run(
        modules,
        """
        const lanes = newLanes();
        pace.recordLane(lanes, {type: "session_paused", paused_at: new Date(s(1000)).toISOString()});
        const during = pace.testSecondsAt(lanes, s(1200));
        pace.recordLane(lanes, {type: "session_resumed", timestamp: new Date(s(1300)).toISOString()});
        const atFive = brief(pace.laneState(lanes, working(1), s(1500)));
        const past = pace.laneState(lanes, working(1), s(1501));
        const extra = brief(pace.laneState(lanes, working(1, 900), s(1501)));
        return {during, after: pace.testSecondsAt(lanes, s(1500)), atFive, past: brief(past),
                summary: read.paceSummary(lanes, past), extra};
        """,
    )
    assert result["during"] == 1000  # frozen at the pause
    assert result["after"] == 1200  # 1500 s less 300 s paused
    # A has been on Q3 (index 2, guide 900 s) since T0 + 200 s: at 1200 s of test time, exactly 5 minutes behind.
    assert result["atFive"]["lag"] == 300 and result["atFive"]["behind"] is False
    assert result["atFive"]["dwell"] == 1000 and result["atFive"]["stuckBy"] == "quiet"
    assert result["past"]["lag"] == 301 and result["past"]["behind"] is True
    assert result["summary"]["text"] == "Stuck on Q3 · behind pace by 5 min 1 s"
    assert result["extra"]["lag"] == 76 and result["extra"]["behind"] is False  # the guide with 25 % more: 1125 s


def test_moves_from_events_in_their_place_and_from_a_snapshot_after_missed_ones(modules):
    result = run(
        modules,
        """
        const lanes = newLanes();
        const at = (seconds) => new Date(s(seconds)).toISOString();
        pace.recordLane(lanes, {type: "progress_update", student_id: 2, question_index: 4, timestamp: at(300)});
        // Replayed from the student's outbox: made earlier than the last move heard.
        pace.recordLane(lanes, {type: "progress_update", student_id: 2, question_index: 3, timestamp: at(310),
                                made_at: at(250)});
        const moved = pace.staysOf(lanes, lanes.students.get("2")).map((stay) => [stay.index, (stay.from - T0) / 1000]);
        const board = {session: {status: "IN_PROGRESS", started_at: "2026-01-01T10:00:00Z"}, snapshotAtMs: s(400),
                       students: new Map([["2", {id: 2, questionIndex: 6}], ["1", {id: 1, questionIndex: 2}]])};
        pace.takeLaneSnapshot(lanes, board, [{student_id: 1, started_at: at(0),
                                              answers: [{question_id: 101, answer: "TRUE"}]}]);
        return {moved, afterSnapshot: lanes.students.get("2").moves.at(-1),
                aMoves: lanes.students.get("1").moves.length,
                answers: [...pace.answersOf(lanes, 1)], points: pace.lanePoints(lanes, working(3), s(300))};
        """,
    )
    assert result["moved"] == [[0, 0], [1, 100], [2, 160], [3, 250], [4, 300]]
    assert result["afterSnapshot"] == {"at": 1767261600000 + 400_000, "index": 6, "answered": False}
    assert result["aMoves"] == 3  # A is where the snapshot says: no move added
    assert result["answers"] == [["101", "TRUE"]]
    assert result["points"] == [[0, 0], [50, 0], [50, 1], [170, 1], [170, 2], [300, 2]]


NORMALISED = ["  Red   WOOL ", "red\twool", "Straße", "NOT  GIVEN", "", "   ", "Ünïcode  Ä"]


def test_answers_are_marked_and_banded_as_exams_marking_does(modules):
    table = [list(row) for row in BAND_TABLES[Module.ACADEMIC_READING]]
    result = run(
        modules,
        """
        const keys = {11: {answers: ["red wool", "wool"], word_limit: 2}, 12: {answers: ["true"], word_limit: null},
                      13: {answers: ["b"], word_limit: null}, 14: {answers: ["not given"], word_limit: null}};
        const marked = [["red  WOOL", 11], ["red wool yarn", 11], [" True", 12], ["C", 13], ["not given", 14]]
            .map(([answer, id]) => projection.isCorrectAnswer(answer, keys[id]));
        const bands = Array.from({length: 17}, (_, score) => projection.bandFor(score, 16, args.table));
        const answers = new Map([["11", "wool"], ["12", "false"], ["13", ""], ["99", "x"]]);
        const projected = projection.projectBand(answers, keys, 4, args.table);
        return {normalised: args.strings.map(projection.normaliseAnswer), marked, bands, projected,
                none: projection.projectBand(new Map([["13", " "]]), keys, 4, args.table),
                half: [0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(projection.roundHalfEven),
                summary: read.bandSummary(projected, 4)};
        """,
        {"table": table, "strings": NORMALISED},
    )
    assert result["normalised"] == [normalise(text) for text in NORMALISED]
    assert result["marked"] == [True, False, True, False, True]  # "red wool yarn": over the two-word limit
    assert result["bands"] == [band_for(score, 16, module=Module.ACADEMIC_READING) for score in range(17)]
    assert result["half"] == [0, 2, 2, 4, 2, 3]
    # Two keyed answers, one right: if the rest go as well, 2 of 4 → 20 of 40 → band 5.5.
    assert result["projected"] == {"answered": 2, "correct": 1, "projectedScore": 2, "band": 5.5}
    assert result["none"] is None
    assert result["summary"] == {
        "text": "Projected band 5.5",
        "title": "A projection, for staff only: 1 of the 2 answered so far are right; if the rest go as well, "
        "2 of 4, band 5.5.",
    }
