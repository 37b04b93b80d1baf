"""The Listening timeline's pure modules in Chromium, no server: where a moment falls among the parts (the
student's page, static/student/timeline.js) and what the teacher's monitor says of it
(static/teacher/listening-part.js), with the hand-computed positions of tests/test_listening_timeline.py."""

import pytest

from tests.browser.static_modules import serve_static_modules

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.modules]


@pytest.fixture
def modules(page):
    return serve_static_modules(page, origin="http://listening.test", folders=("student", "teacher"))


def test_the_part_at_a_position_and_the_monitors_words(modules):
    result = modules.evaluate(
        """async () => {
            const {partAt} = await import("/static/student/timeline.js");
            const {listeningPartText} = await import("/static/teacher/listening-part.js");
            const parts = [60, 90, 120, 150];
            const start = Date.parse("2026-03-02T09:00:00Z");
            const say = (seconds, status = "IN_PROGRESS", pausedAtMs = null) => listeningPartText(
                {startedAtMs: start, partSeconds: parts, status, pausedAtMs, nowMs: start + seconds * 1000});
            return {
                at: [-1, 0, 59.9, 60, 100, 155, 419.9, 495].map((p) => partAt(parts, p)),
                words: [say(-5), say(0), say(100), say(155), say(495), say(100, "PAUSED", start + 130000),
                        say(100, "COMPLETED"), say(100, "WAITING_FOR_STUDENTS")],
                noStart: listeningPartText({startedAtMs: null, partSeconds: parts, status: "IN_PROGRESS", nowMs: 0}),
            };
        }"""
    )
    at = [(a["index"], round(a["offset"], 1), a["review"]) for a in result["at"]]
    assert at == [(None, -1, False), (0, 0, False), (0, 59.9, False), (1, 0, False), (1, 40, False),
                  (2, 5, False), (3, 149.9, False), (None, 75, True)]  # fmt: skip
    assert result["words"] == ["", "Part 1 of 4 playing", "Part 2 of 4 playing", "Part 3 of 4 playing",
                               "Review time", "Part 2 of 4 playing (paused)", "", ""]  # fmt: skip
    assert result["noStart"] == ""
