"""The demo's Academic Writing paper (Task 1 describes a bar chart, Task 2 is an essay) and its chart, drawn here as a
PNG in pure Python (zlib and struct: no imaging library, nothing downloaded)."""

import struct
import zlib

# The chart's data: visitors in thousands to three museums, in two years.
CHART_YEARS = ("2010", "2020")
CHART_DATA = {"SCIENCE": (320, 410), "HISTORY": (280, 230), "ART": (150, 260)}

DEMO_WRITING_PAPER = {
    "title": "Academic Writing: Museums",
    "module": "ACADEMIC_WRITING",
    "time_limit_minutes": 60,
    "passages": [
        {
            "title": "Task 1",
            "text": "Writing Task 1",
            "questions": [
                {
                    "number": 1,
                    "type": "ESSAY",
                    "task": 1,
                    "min_words": 150,
                    "prompt": (
                        "The chart below shows the number of visitors, in thousands, to three museums in one city in "
                        "2010 and 2020.\n\nSummarise the information by selecting and reporting the main features, "
                        "and make comparisons where relevant."
                    ),
                }
            ],
        },
        {
            "title": "Task 2",
            "text": "Writing Task 2",
            "questions": [
                {
                    "number": 2,
                    "type": "ESSAY",
                    "task": 2,
                    "min_words": 250,
                    "prompt": (
                        "Some people believe that museums and galleries should be free for everyone, while others "
                        "think visitors should pay for entry.\n\nDiscuss both views and give your own opinion.\n\n"
                        "Give reasons for your answer and include any relevant examples from your own knowledge or "
                        "experience."
                    ),
                }
            ],
        },
    ],
}

# A 5 × 7 bitmap font for the chart's labels: each glyph is seven rows of five bits.
GLYPHS = {
    " ": (0, 0, 0, 0, 0, 0, 0),
    "0": (14, 17, 19, 21, 25, 17, 14),
    "1": (4, 12, 4, 4, 4, 4, 14),
    "2": (14, 17, 1, 2, 4, 8, 31),
    "3": (30, 1, 1, 14, 1, 1, 30),
    "4": (2, 6, 10, 18, 31, 2, 2),
    "5": (31, 16, 30, 1, 1, 17, 14),
    "6": (6, 8, 16, 30, 17, 17, 14),
    "7": (31, 1, 2, 4, 8, 8, 8),
    "8": (14, 17, 17, 14, 17, 17, 14),
    "9": (14, 17, 17, 15, 1, 2, 12),
    "A": (14, 17, 17, 31, 17, 17, 17),
    "C": (14, 17, 16, 16, 16, 17, 14),
    "D": (30, 17, 17, 17, 17, 17, 30),
    "E": (31, 16, 16, 30, 16, 16, 31),
    "H": (17, 17, 17, 31, 17, 17, 17),
    "I": (14, 4, 4, 4, 4, 4, 14),
    "M": (17, 27, 21, 21, 17, 17, 17),
    "N": (17, 25, 21, 19, 17, 17, 17),
    "O": (14, 17, 17, 17, 17, 17, 14),
    "R": (30, 17, 17, 30, 20, 18, 17),
    "S": (15, 16, 16, 14, 1, 1, 30),
    "T": (31, 4, 4, 4, 4, 4, 4),
    "U": (17, 17, 17, 17, 17, 17, 14),
    "V": (17, 17, 17, 17, 17, 10, 4),
    "Y": (17, 17, 10, 4, 4, 4, 4),
    "(": (2, 4, 8, 8, 8, 4, 2),
    ")": (8, 4, 2, 2, 2, 4, 8),
}
WHITE, BLACK, GREY = (255, 255, 255), (40, 40, 40), (200, 205, 210)
BAR_COLOURS = ((31, 92, 153), (230, 140, 40))  # 2010 blue, 2020 orange


class Canvas:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(WHITE) * width) for _ in range(height)]

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour) -> None:
        for y in range(max(0, y0), min(self.height, y1)):
            row = self.rows[y]
            for x in range(max(0, x0), min(self.width, x1)):
                row[3 * x : 3 * x + 3] = bytes(colour)

    def text(self, x: int, y: int, text: str, *, scale: int = 2, colour=BLACK) -> None:
        for index, char in enumerate(text.upper()):
            glyph = GLYPHS.get(char, GLYPHS[" "])
            for row, bits in enumerate(glyph):
                for col in range(5):
                    if bits & (1 << (4 - col)):
                        left, top = x + (index * 6 + col) * scale, y + row * scale
                        self.rect(left, top, left + scale, top + scale, colour)

    def png(self) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            crc = zlib.crc32(kind + data) & 0xFFFFFFFF
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
        )


def text_width(text: str, scale: int = 2) -> int:
    return len(text) * 6 * scale


def bar_chart_png(width: int = 640, height: int = 400) -> bytes:
    """Task 1's chart: visitors (thousands) to three museums in 2010 and 2020, as grouped bars with a legend."""
    canvas = Canvas(width, height)
    left, right, top, bottom = 70, width - 20, 60, height - 50
    top_value = 500
    title = "MUSEUM VISITORS (THOUSANDS)"
    canvas.text((width - text_width(title)) // 2, 14, title)
    for value in range(0, top_value + 1, 100):
        y = bottom - (bottom - top) * value // top_value
        canvas.rect(left, y, right, y + 1, GREY)
        label = str(value)
        canvas.text(left - 10 - text_width(label), y - 7, label)
    canvas.rect(left, top, left + 2, bottom + 1, BLACK)
    canvas.rect(left, bottom, right, bottom + 2, BLACK)
    group_width = (right - left) // len(CHART_DATA)
    bar_width = group_width // 4
    for index, (name, values) in enumerate(CHART_DATA.items()):
        group_left = left + index * group_width + group_width // 4
        for year, value in enumerate(values):
            x = group_left + year * bar_width
            y = bottom - (bottom - top) * value // top_value
            canvas.rect(x, y, x + bar_width - 4, bottom, BAR_COLOURS[year])
        centre = group_left + bar_width
        canvas.text(centre - text_width(name) // 2, bottom + 12, name)
    for year, label in enumerate(CHART_YEARS):
        x = right - 200 + year * 100
        canvas.rect(x, 40, x + 14, 54, BAR_COLOURS[year])
        canvas.text(x + 20, 40, label)
    return canvas.png()
