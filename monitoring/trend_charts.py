"""The trends' charts as inline SVG drawn on the server (as the results' charts): lines over the class's sittings, one
point per sitting, each with its exact figure in a `<title>`; every line has its own marker and dash so a printed,
black-and-white page still tells them apart."""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from monitoring.charts import HEIGHT, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, WIDTH, _finish, _number, _svg_open, _y_axis

PLOT_WIDTH = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
LEGEND_HEIGHT = 18
PLOT_HEIGHT = HEIGHT - MARGIN_TOP - 46 - LEGEND_HEIGHT
# A line's look by its position: a marker shape and a dash, both legible without colour.
MARKERS = ("circle", "square", "diamond", "triangle", "cross", "ring")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")


def _marker(shape: str, x: float, y: float) -> str:
    x, y, r = _number(x), _number(y), 4
    if shape == "circle":
        return f'<circle cx="{x}" cy="{y}" r="{r}"/>'
    if shape == "ring":
        return f'<circle class="hollow" cx="{x}" cy="{y}" r="{r}"/>'
    if shape == "square":
        return f'<rect x="{_number(float(x) - r)}" y="{_number(float(y) - r)}" width="{2 * r}" height="{2 * r}"/>'
    points = {
        "diamond": [(0, -5), (5, 0), (0, 5), (-5, 0)],
        "triangle": [(0, -5), (5, 4), (-5, 4)],
        "cross": [(-4, -4), (4, 4), (0, 0), (4, -4), (-4, 4), (0, 0)],
    }[shape]
    path = " ".join(f"{_number(float(x) + dx)},{_number(float(y) + dy)}" for dx, dy in points)
    return f'<polygon points="{path}"/>'


def line_chart_svg(
    *, chart_id: str, title: str, description: str, x_labels: list[str], series: list[dict], top: float,
    ticks: list[tuple[float, str]], axis_label: str,
) -> SafeString:  # fmt: skip
    """`series`: [{"name", "values": [number | None per x label], "titles": [text per point], "joined": bool}]; a
    None value draws no point (and breaks a joined line)."""
    slots = max(1, len(x_labels))
    step = PLOT_WIDTH / slots

    def x_of(index):
        return MARGIN_LEFT + step * (index + 0.5)

    def y_of(value):
        return MARGIN_TOP + PLOT_HEIGHT * (1 - value / top)

    parts = [_svg_open(chart_id, title, description)]
    parts += _y_axis(PLOT_HEIGHT, [(value / top, label) for value, label in ticks])
    every = max(1, -(-slots // 12))  # at most about twelve labels under the axis
    for index, label in enumerate(x_labels):
        if index % every == 0:
            parts.append(
                format_html(
                    '<text class="tick" x="{x}" y="{y}" text-anchor="middle">{label}</text>',
                    x=_number(x_of(index)),
                    y=_number(MARGIN_TOP + PLOT_HEIGHT + 16),
                    label=label,
                )  # fmt: skip
            )
    for number, line in enumerate(series):
        shape, dash = MARKERS[number % len(MARKERS)], DASHES[number % len(DASHES)]
        parts.append(format_html('<g class="series series-{n}" data-series="{name}">', n=number, name=line["name"]))
        if line.get("joined", True):
            runs, run = [], []
            for index, value in enumerate(line["values"]):
                if value is None:
                    runs, run = runs + [run] if run else runs, []
                else:
                    run.append(f"{_number(x_of(index))},{_number(y_of(value))}")
            runs = runs + [run] if run else runs
            for points in runs:
                parts.append(
                    format_html('<polyline points="{p}" stroke-dasharray="{d}"/>', p=" ".join(points), d=dash or "none")
                )
        for index, value in enumerate(line["values"]):
            if value is None:
                continue
            parts.append(
                format_html(
                    '<g class="point">{marker}<title>{text}</title></g>',
                    marker=mark_safe(_marker(shape, x_of(index), y_of(value))),
                    text=line["titles"][index],
                )  # fmt: skip
            )
        parts.append(mark_safe("</g>"))
    legend_y = HEIGHT - 26
    x = MARGIN_LEFT
    for number, line in enumerate(series):
        shape = MARKERS[number % len(MARKERS)]
        parts.append(
            format_html(
                '<g class="legend series-{n}">{marker}<text x="{tx}" y="{ty}">{name}</text></g>',
                n=number,
                marker=mark_safe(_marker(shape, x + 4, legend_y - 4)),
                tx=_number(x + 12),
                ty=_number(legend_y),
                name=line["name"],
            )  # fmt: skip
        )
        x += 24 + 7 * len(line["name"])
    return _finish(parts, axis_label=axis_label, plot_width=PLOT_WIDTH)


BAND_TICKS = [(band, str(band)) for band in (0, 3, 6, 9)]
PERCENT_TICKS = [(value, f"{value} %") for value in (0, 25, 50, 75, 100)]


def band_trend_svg(sittings, *, student_id=None, chart_id="band-trend") -> SafeString:
    """The class's mean band per sitting (or one student's band), with the practice points apart."""
    labels = [f"{s.at:%-d %b}" for s in sittings]

    def band_of(sitting):
        if student_id is None:
            return sitting.mean_band
        result = sitting.results.get(student_id)
        return result.band if result else None

    lines = []
    for kind, name in (("session", "Sessions"), ("practice", "Practice")):
        values = [band_of(s) if s.kind == kind else None for s in sittings]
        if any(value is not None for value in values):
            titles = [f"{s.title}, {s.at:%-d %b %Y}: band {v:.1f}" if v is not None else "" for s, v in
                      zip(sittings, values, strict=True)]  # fmt: skip
            lines.append({"name": name, "values": values, "titles": titles, "joined": kind == "session"})
    whose = "The class's mean band" if student_id is None else "The band"
    shown = sum(1 for line in lines for value in line["values"] if value is not None)
    return line_chart_svg(
        chart_id=chart_id, title=f"{whose} over time", description=f"{shown} sitting{'s' if shown != 1 else ''}.",
        x_labels=labels, series=lines, top=9, ticks=BAND_TICKS, axis_label="Sitting",
    )  # fmt: skip


def type_facility_trend_svg(sittings, types, labels_of_types, *, chart_id="type-trend") -> SafeString:
    """The class's facility per question type in each session."""
    lines = []
    for question_type in types:
        values = [(f * 100 if (f := s.facility(question_type)) is not None else None) for s in sittings]
        titles = [f"{labels_of_types[question_type]}, {s.title}: {v:.0f} %" if v is not None else "" for s, v in
                  zip(sittings, values, strict=True)]  # fmt: skip
        lines.append({"name": labels_of_types[question_type], "values": values, "titles": titles})
    return line_chart_svg(
        chart_id=chart_id, title="Facility per question type over time",
        description=f"{len(types)} question types over {len(sittings)} sessions.",
        x_labels=[f"{s.at:%-d %b}" for s in sittings], series=lines, top=100, ticks=PERCENT_TICKS,
        axis_label="Session",
    )  # fmt: skip


def violations_trend_svg(sittings, *, student_id=None, chart_id="violation-trend") -> SafeString:
    """Violations (not dismissed) per session: the class's, or one student's."""

    def count(sitting):
        if student_id is None:
            return sitting.violations
        result = sitting.results.get(student_id)
        return result.violations if result else None

    values = [count(s) for s in sittings]
    top = max([v for v in values if v is not None] + [4])
    step = max(1, -(-top // 4))
    top = step * -(-top // step)
    titles = [f"{s.title}: {v} violation{'s' if v != 1 else ''}" if v is not None else "" for s, v in
              zip(sittings, values, strict=True)]  # fmt: skip
    return line_chart_svg(
        chart_id=chart_id, title="Violations over time", description=f"{sum(v or 0 for v in values)} in all.",
        x_labels=[f"{s.at:%-d %b}" for s in sittings],
        series=[{"name": "Violations", "values": values, "titles": titles}], top=top,
        ticks=[(value, str(value)) for value in range(0, top + 1, step)], axis_label="Sitting",
    )  # fmt: skip
