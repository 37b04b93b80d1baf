"""What the results page makes of a session's item analysis (sessions_app.analysis): each passage cut into runs
of text with how many students highlighted them and whose evidence they are, and for each student the questions
that would lift them half a band."""

from dataclasses import dataclass

from exams.marking import band_for


@dataclass(frozen=True)
class TextRun:
    """A run of a passage's text: how many students highlighted it, and the questions whose evidence it is."""

    text: str
    start: int
    end: int
    students: int
    evidence_of: tuple[int, ...]  # question numbers
    starts_evidence_of: tuple[int, ...]  # the questions whose span starts here (labelled in the text)


def passage_runs(text: str, heat: list[tuple[int, int, int]], spans: list[tuple[int, int, int]]) -> list[TextRun]:
    """`text` cut wherever the highlight count or an evidence span changes. `heat`: (start, end, students) runs;
    `spans`: (question number, start, end) evidence spans in this passage."""
    cuts = {0, len(text)}
    for start, end, _ in heat:
        cuts |= {start, end}
    for _, start, end in spans:
        cuts |= {start, end}
    cuts = sorted(cut for cut in cuts if 0 <= cut <= len(text))
    runs = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        students = next((n for s, e, n in heat if s <= start and end <= e), 0)
        runs.append(
            TextRun(
                text=text[start:end], start=start, end=end, students=students,
                evidence_of=tuple(number for number, s, e in spans if s <= start and end <= e),
                starts_evidence_of=tuple(number for number, s, _ in spans if s == start),
            )
        )  # fmt: skip
    return runs


def half_band_lifts(analysis: dict, *, module: str, band_table) -> dict[int, dict]:
    """attempt id → the fewest more correct answers that would raise the student's band by at least half a band
    (`needed`, with the band it gives), and that many of the questions they missed, the class's easiest first
    (highest facility, then lowest number). `needed` is None when no score reaches a higher band (band 9)."""
    questions = analysis["questions"]
    count = len(questions)
    lifts = {}
    for student in analysis["students"]:
        score, band = student["score"], student["band"]
        if score is None or band is None:
            continue
        needed = next(
            (k for k in range(1, count - score + 1)
             if band_for(score + k, count, module=module, table=band_table) >= band + 0.5),
            None,
        )  # fmt: skip
        missed = [q for q, mark in zip(questions, student["marks"], strict=True) if not mark]
        missed.sort(key=lambda q: (-(q["facility"] or 0), q["number"]))
        lifts[student["attempt_id"]] = {
            "needed": needed,
            "to_band": band_for(score + needed, count, module=module, table=band_table) if needed else None,
            "questions": missed[:needed] if needed else [],
        }
    return lifts
