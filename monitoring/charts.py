"""Charts of a session's results as inline SVG, drawn on the server: no chart library, no script.

Each chart is a complete `<svg role="img">` with a title and description for screen readers,
and a `<title>` on every bar so a pointer shows the exact figure.
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

BAND_STEPS = [step / 2 for step in range(0, 19)]  # 0.0, 0.5, ... 9.0

WIDTH = 720
HEIGHT = 260
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 22
MARGIN_BOTTOM = 46


def _fmt_band(band: float) -> str:
    return f"{band:.1f}"


def _number(value: float) -> str:
    """Coordinates with at most two decimals, so the markup stays short and stable."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def band_counts(bands) -> list[tuple[float, int]]:
    """How many students reached each half band from 0 to 9 (None — no mark — is left out)."""
    counts = dict.fromkeys(BAND_STEPS, 0)
    for band in bands:
        if band is None:
            continue
        value = round(float(band) * 2) / 2
        if value in counts:
            counts[value] += 1
    return list(counts.items())


def _svg_open(chart_id: str, title: str, description: str, *, height: float = HEIGHT) -> str:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" viewBox="0 0 {w} {h}" '
        'width="{w}" height="{h}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'preserveAspectRatio="xMinYMin meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
        id=chart_id,
        w=WIDTH,
        h=_number(height),
        title=title,
        desc=description,
    )


def _y_axis(plot_height: float, ticks: list[tuple[float, str]]) -> list[str]:
    """Horizontal grid lines with labels; `ticks` are (fraction of the plot height, label)."""
    parts = []
    for fraction, label in ticks:
        y = MARGIN_TOP + plot_height * (1 - fraction)
        parts.append(
            format_html(
                '<line class="grid" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}"/>'
                '<text class="tick" x="{tx}" y="{ty}" text-anchor="end">{label}</text>',
                x1=MARGIN_LEFT,
                x2=WIDTH - MARGIN_RIGHT,
                y=_number(y),
                tx=MARGIN_LEFT - 6,
                ty=_number(y + 4),
                label=label,
            )
        )
    return parts


def band_distribution_svg(bands, *, chart_id: str = "band-chart", target_band: float | None = None) -> SafeString:
    """A bar per half band (0–9): how many submitted students reached it; with `target_band`, a line at the class's
    target and how many reached it."""
    bands = [band for band in bands if band is not None]
    counts = band_counts(bands)
    total = sum(count for _, count in counts)
    highest = max([count for _, count in counts] + [1])
    step = max(1, -(-highest // 4))  # about four grid lines, on whole students
    top = step * -(-highest // step)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_width / len(counts)
    bar_width = slot * 0.7

    summary = ", ".join(f"band {_fmt_band(band)}: {count}" for band, count in counts if count) or "no marked attempts"
    target_text = ""
    if target_band is not None:
        reached = sum(1 for band in bands if float(band) >= target_band)
        target_text = f" Target band {_fmt_band(target_band)}: {reached} of {total} at or above it."
    parts = [
        _svg_open(
            chart_id,
            "Band distribution",
            f"{total} marked student{'s' if total != 1 else ''}; {summary}.{target_text}",
        )
    ]
    parts += _y_axis(plot_height, [(value / top, str(value)) for value in range(0, top + 1, step)])
    if target_band is not None:
        x = MARGIN_LEFT + (round(target_band * 2) + 0.5) * slot
        parts.append(
            format_html(
                '<g class="target" data-target-band="{band}"><line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}"/>'
                '<text x="{tx}" y="{ty}" text-anchor="{anchor}">Target {band}</text>'
                "<title>The class's target band: {band}</title></g>",
                band=_fmt_band(target_band),
                x=_number(x),
                y1=MARGIN_TOP - 8,
                y2=_number(MARGIN_TOP + plot_height),
                tx=_number(x + (-4 if target_band > 7 else 4)),
                ty=MARGIN_TOP - 10,
                anchor="end" if target_band > 7 else "start",
            )
        )
    for index, (band, count) in enumerate(counts):
        x = MARGIN_LEFT + index * slot + (slot - bar_width) / 2
        height = plot_height * count / top
        y = MARGIN_TOP + plot_height - height
        parts.append(
            format_html(
                '<g class="bar" data-band="{band}" data-count="{count}">'
                '<rect x="{x}" y="{y}" width="{w}" height="{h}"><title>Band {band}: {count} student{plural}</title>'
                "</rect>",
                band=_fmt_band(band),
                count=count,
                plural="" if count == 1 else "s",
                x=_number(x),
                y=_number(y),
                w=_number(bar_width),
                h=_number(height),
            )
        )
        if count:
            parts.append(
                format_html(
                    '<text class="value" x="{x}" y="{y}" text-anchor="middle">{count}</text>',
                    x=_number(x + bar_width / 2),
                    y=_number(y - 4),
                    count=count,
                )
            )
        if band == int(band):
            parts.append(_tick(x + bar_width / 2, plot_height, int(band)))
        parts.append(mark_safe("</g>"))
    return _finish(parts, axis_label="Band", plot_width=plot_width)


def facility_level(facility: float) -> str:
    """A word for how easy a question proved: hard below 40 % correct, easy from 70 %."""
    if facility < 0.4:
        return "hard"
    if facility < 0.7:
        return "medium"
    return "easy"


def facility_svg(questions, *, chart_id: str = "facility-chart") -> SafeString:
    """A bar per question: the share of students with an attempt who got it right (0–100 %)."""
    questions = sorted(questions, key=lambda q: q["number"])
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_width / max(len(questions), 1)
    bar_width = max(slot * 0.7, 1)
    hardest = sorted(questions, key=lambda q: (q["facility"], q["number"]))[:3]
    hard_text = ", ".join(f"Q{q['number']} {round(q['facility'] * 100)}%" for q in hardest)
    parts = [
        _svg_open(
            chart_id,
            "Facility per question",
            f"Share of students answering each of {len(questions)} questions correctly. "
            f"Hardest: {hard_text or 'none'}.",
        )
    ]
    parts += _y_axis(plot_height, [(0, "0%"), (0.5, "50%"), (1, "100%")])
    label_every = 1 if slot >= 14 else 2 if slot >= 7 else 5
    for index, question in enumerate(questions):
        facility = max(0.0, min(1.0, float(question["facility"])))
        x = MARGIN_LEFT + index * slot + (slot - bar_width) / 2
        height = plot_height * facility
        y = MARGIN_TOP + plot_height - height
        percent = round(facility * 100)
        parts.append(
            format_html(
                '<g class="bar {level}" data-number="{number}" data-facility="{facility}">'
                '<rect x="{x}" y="{y}" width="{w}" height="{h}"><title>Question {number}: {percent}% correct '
                "({correct} of {answered} answered)</title></rect>",
                level=facility_level(facility),
                number=question["number"],
                facility=_number(facility),
                x=_number(x),
                y=_number(y),
                w=_number(bar_width),
                h=_number(max(height, 0)),
                percent=percent,
                correct=question.get("correct", 0),
                answered=question.get("answered", 0),
            )
        )
        if index % label_every == 0 or index == len(questions) - 1:
            parts.append(_tick(x + bar_width / 2, plot_height, question["number"]))
        parts.append(mark_safe("</g>"))
    return _finish(parts, axis_label="Question", plot_width=plot_width)


def _tick(x: float, plot_height: float, label) -> str:
    """A label under the bar centred on x."""
    return format_html(
        '<text class="tick" x="{x}" y="{y}" text-anchor="middle">{label}</text>',
        x=_number(x),
        y=_number(MARGIN_TOP + plot_height + 16),
        label=label,
    )


def _finish(parts: list, *, axis_label: str, plot_width: float) -> str:
    """The x axis's name and the end of the SVG: the whole chart as safe HTML."""
    parts.append(
        format_html(
            '<text class="axis-label" x="{x}" y="{y}" text-anchor="middle">{label}</text>',
            x=_number(MARGIN_LEFT + plot_width / 2),
            y=HEIGHT - 8,
            label=axis_label,
        )
    )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))


# ---------------------------------------------------------------- the item analysis


def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def discrimination_level(value: float | None) -> str:
    """How well a question separates the stronger students from the weaker (the usual rule of thumb for r)."""
    if value is None:
        return "unknown"
    if value < 0:
        return "negative"
    if value < 0.2:
        return "weak"
    if value < 0.3:
        return "fair"
    return "good"


def discrimination_svg(questions, *, chart_id: str = "discrimination-chart") -> SafeString:
    """A bar per question from the zero line: its point-biserial discrimination, from −1 to 1."""
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_width / max(len(questions), 1)
    bar_width = max(slot * 0.7, 1)
    zero = MARGIN_TOP + plot_height / 2
    flagged = [q for q in questions if q["discrimination"] is not None and q["discrimination"] < 0.2]
    flagged_text = ", ".join(f"Q{q['number']} {q['discrimination']:.2f}" for q in flagged[:5]) or "none"
    parts = [
        _svg_open(
            chart_id,
            "Discrimination per question",
            f"Point-biserial correlation of each of {len(questions)} questions with the rest of the paper; "
            f"below 0.2 (it does not separate stronger from weaker students): {flagged_text}.",
        )
    ]
    parts += _y_axis(plot_height, [(0, "−1"), (0.25, "−0.5"), (0.5, "0"), (0.75, "0.5"), (1, "1")])
    parts.append(format_html('<line class="zero" x1="{a}" y1="{y}" x2="{b}" y2="{y}"/>', a=MARGIN_LEFT,
                             b=WIDTH - MARGIN_RIGHT, y=_number(zero)))  # fmt: skip
    label_every = 1 if slot >= 14 else 2 if slot >= 7 else 5
    for index, question in enumerate(questions):
        value = question["discrimination"]
        x = MARGIN_LEFT + index * slot + (slot - bar_width) / 2
        height = plot_height / 2 * abs(value or 0)
        y = zero - height if (value or 0) >= 0 else zero
        shown = "not enough answers to tell" if value is None else f"{value:.2f}"
        parts.append(
            format_html(
                '<g class="bar {level}" data-number="{number}" data-discrimination="{data}">'
                '<rect x="{x}" y="{y}" width="{w}" height="{h}"><title>Question {number}: discrimination {shown}'
                "</title></rect>",
                level=discrimination_level(value),
                number=question["number"],
                data="" if value is None else _number(value),
                x=_number(x),
                y=_number(y),
                w=_number(bar_width),
                h=_number(max(height, 1)),
                shown=shown,
            )
        )
        if index % label_every == 0 or index == len(questions) - 1:
            parts.append(_tick(x + bar_width / 2, plot_height, question["number"]))
        parts.append(mark_safe("</g>"))
    return _finish(parts, axis_label="Question", plot_width=plot_width)


def _row_label(row: dict, labels: dict) -> str:
    return labels.get(row["type"], row["type"]) + (f": key {row['key']}" if row["key"] else "")


def type_facility_svg(types, labels: dict, *, chart_id: str = "type-chart") -> SafeString:
    """A horizontal bar per question type (and per True/False/Not Given key): the share answered correctly."""
    label_width, row_height = 250, 26
    height = MARGIN_TOP + row_height * max(len(types), 1) + 30
    plot_width = WIDTH - label_width - MARGIN_RIGHT - 40
    summary = "; ".join(f"{_row_label(r, labels)} {percent(r['facility'])}" for r in types) or "no questions"
    parts = [_svg_open(chart_id, "Facility per question type", f"Share correct by type: {summary}.", height=height)]
    for index, row in enumerate(types):
        y = MARGIN_TOP + index * row_height
        facility = row["facility"] or 0
        name = _row_label(row, labels)
        parts.append(
            format_html(
                '<g class="bar {level}{sub}" data-type="{type}" data-key="{key}">'
                '<text class="tick" x="{lx}" y="{ty}" text-anchor="end">{name} ({n})</text>'
                '<rect x="{x}" y="{y}" width="{w}" height="{h}"><title>{name}: {shown} correct over {n} '
                "question{plural}</title></rect>"
                '<text class="value" x="{vx}" y="{ty}">{shown}</text></g>',
                level=facility_level(facility),
                sub=" key-row" if row["key"] else "",
                type=row["type"],
                key=row["key"] or "",
                lx=label_width - 8,
                ty=_number(y + row_height * 0.62),
                name=name,
                n=row["questions"],
                plural="" if row["questions"] == 1 else "s",
                x=label_width,
                y=_number(y + 4),
                w=_number(max(plot_width * facility, 1)),
                h=row_height - 8,
                shown=percent(row["facility"]),
                vx=_number(label_width + plot_width * facility + 6),
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))


MARK_WORDS = {1: "correct", 0: "wrong", None: "blank"}
MARK_CLASSES = {1: "right", 0: "wrong", None: "blank"}


def heat_strip_svg(students, questions, *, chart_id: str = "heat-strip") -> SafeString:
    """A row per student (highest score first) and a cell per question: correct, wrong or blank."""
    label_width, header = 150, 26
    cell = max(6.0, min(24.0, (WIDTH - label_width - MARGIN_RIGHT) / max(len(questions), 1)))
    row_height = min(cell, 18.0)
    height = header + row_height * max(len(students), 1) + 8
    parts = [
        _svg_open(
            chart_id,
            "Answers of each student to each question",
            f"{len(students)} students, highest score first, by {len(questions)} questions: a dark cell is correct, "
            "a light one with a cross wrong, an empty one blank.",
            height=height,
        )
    ]
    label_every = 1 if cell >= 14 else 5
    for index, question in enumerate(questions):
        if index % label_every == 0 or index == len(questions) - 1:
            parts.append(
                format_html(
                    '<text class="tick" x="{x}" y="{y}" text-anchor="middle">{n}</text>',
                    x=_number(label_width + index * cell + cell / 2), y=header - 8, n=question["number"],
                )
            )  # fmt: skip
    for row, student in enumerate(students):
        y = header + row * row_height
        parts.append(
            format_html(
                '<g class="strip-row" data-attempt-id="{attempt}"><text class="tick" x="{x}" y="{ty}" '
                'text-anchor="end">{name} ({score})</text>',
                attempt=student["attempt_id"],
                x=label_width - 6,
                ty=_number(y + row_height * 0.72),
                name=student["student_name"],
                score="–" if student["score"] is None else student["score"],
            )
        )
        for index, (question, mark) in enumerate(zip(questions, student["marks"], strict=True)):
            x = label_width + index * cell
            parts.append(
                format_html(
                    '<rect class="cell {cls}" x="{x}" y="{y}" width="{w}" height="{h}"><title>{name}, question '
                    "{number}: {word}</title></rect>",
                    cls=MARK_CLASSES[mark],
                    x=_number(x + 1),
                    y=_number(y + 1),
                    w=_number(cell - 2),
                    h=_number(row_height - 2),
                    name=student["student_name"],
                    number=question["number"],
                    word=MARK_WORDS[mark],
                )
            )
            if mark == 0 and cell >= 10:
                parts.append(
                    format_html(
                        '<path class="cross" d="M{a} {b}L{c} {d}M{a} {d}L{c} {b}"/>',
                        a=_number(x + cell * 0.3), c=_number(x + cell * 0.7),
                        b=_number(y + row_height * 0.3), d=_number(y + row_height * 0.7),
                    )
                )  # fmt: skip
        parts.append(mark_safe("</g>"))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))


def evidence_svg(questions, *, chart_id: str = "evidence-chart") -> SafeString:
    """For each question with an evidence span, two bars: the facility of the students who highlighted in it and
    of those who did not, with the share who did."""
    questions = [q for q in questions if q["evidence"] is not None]
    label_width, row_height = 150, 40
    height = MARGIN_TOP + row_height * max(len(questions), 1) + 20
    plot_width = WIDTH - label_width - MARGIN_RIGHT - 50
    summary = "; ".join(
        f"Q{q['number']}: {percent(q['evidence_share'])} highlighted the evidence, facility "
        f"{percent(q['facility_highlighted'])} for them and {percent(q['facility_not_highlighted'])} for the others"
        for q in questions
    )
    parts = [
        _svg_open(chart_id, "Found the evidence: facility with and without", summary or "No evidence spans.",
                  height=height)
    ]  # fmt: skip
    for index, question in enumerate(questions):
        y = MARGIN_TOP + index * row_height
        parts.append(
            format_html(
                '<g class="evidence-row" data-number="{n}"><text class="tick" x="{x}" y="{y}" text-anchor="end">'
                "Q{n} · {share} found it</text>",
                n=question["number"], x=label_width - 8, y=_number(y + row_height * 0.45),
                share=percent(question["evidence_share"]),
            )
        )  # fmt: skip
        for offset, (cls, value, who) in enumerate(
            [("highlighted", question["facility_highlighted"], "who highlighted in the evidence"),
             ("not-highlighted", question["facility_not_highlighted"], "who did not")]
        ):  # fmt: skip
            bar_y = y + 2 + offset * (row_height / 2 - 2)
            parts.append(
                format_html(
                    '<rect class="{cls}" x="{x}" y="{y}" width="{w}" height="{h}"><title>Question {n}: {shown} '
                    "correct among those {who}</title></rect>"
                    '<text class="value" x="{vx}" y="{ty}">{shown}</text>',
                    cls=cls, x=label_width, y=_number(bar_y), w=_number(max(plot_width * (value or 0), 1)),
                    h=_number(row_height / 2 - 6), n=question["number"], shown=percent(value), who=who,
                    vx=_number(label_width + plot_width * (value or 0) + 6), ty=_number(bar_y + row_height / 2 - 9),
                )
            )  # fmt: skip
        parts.append(mark_safe("</g>"))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))
