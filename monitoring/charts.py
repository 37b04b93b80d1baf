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


def _svg_open(chart_id: str, title: str, description: str) -> str:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" viewBox="0 0 {w} {h}" '
        'width="{w}" height="{h}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'preserveAspectRatio="xMinYMin meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
        id=chart_id,
        w=WIDTH,
        h=HEIGHT,
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


def band_distribution_svg(bands, *, chart_id: str = "band-chart") -> SafeString:
    """A bar per half band (0–9): how many submitted students reached it."""
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
    parts = [
        _svg_open(
            chart_id,
            "Band distribution",
            f"{total} marked student{'s' if total != 1 else ''}; {summary}.",
        )
    ]
    parts += _y_axis(plot_height, [(value / top, str(value)) for value in range(0, top + 1, step)])
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
