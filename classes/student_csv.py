"""The students' CSV file: a header row naming `username`, `first_name`, `last_name` and optionally `password`;
UTF-8 with or without a byte order mark; commas or semicolons. Reading it checks only the file's shape; the rows'
rules are the import's (sessions_app.services.student_import)."""

import csv
import io
from dataclasses import dataclass

from ielts_site.errors import InvalidInput

# A school's year group at most: each new student's password is hashed on the request (about 0.3 s each with
# Django's default hasher), so a file this size takes about a minute.
MAX_ROWS = 200
REQUIRED_COLUMNS = ("username", "first_name", "last_name")
COLUMNS = (*REQUIRED_COLUMNS, "password")


@dataclass(frozen=True)
class StudentRow:
    line: int  # in the file, the header being line 1
    username: str
    first_name: str
    last_name: str
    password: str  # empty: one is generated


@dataclass(frozen=True)
class RowError:
    line: int | None  # None: the file as a whole
    field: str
    message: str

    def __str__(self) -> str:
        where = "the file" if self.line is None else f"line {self.line}"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class StudentFileRefused(InvalidInput):
    """Nothing was imported; `errors` lists every problem found, by line and field."""

    code = "import_refused"

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"The file was not imported: {len(errors)} problem(s).")


def student_rows_read(content: bytes) -> list[StudentRow]:
    """The file's rows (blank lines skipped), or StudentFileRefused if it is not such a file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StudentFileRefused([RowError(None, "", "it is not UTF-8 text (save it as “CSV UTF-8”).")]) from None
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    columns = [cell.strip().lower() for cell in header or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        message = f"the header row must name {', '.join(REQUIRED_COLUMNS)} and optionally password; missing "
        raise StudentFileRefused(
            [RowError(reader.line_num if header else None, "header", message + ", ".join(missing))]
        )
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        raise StudentFileRefused([RowError(reader.line_num, "header", f"unknown column(s) {', '.join(unknown)}.")])
    rows, overfull = [], []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):  # e.g. an unquoted comma in a name: every value after it would shift
            message = f"{len(cells)} values for {len(columns)} columns (quote a value that holds a {delimiter})."
            overfull.append(RowError(reader.line_num, "", message))
        values = dict(zip(columns, cells, strict=False))
        rows.append(
            StudentRow(
                line=reader.line_num,
                username=values.get("username", "").strip(),
                first_name=values.get("first_name", "").strip(),
                last_name=values.get("last_name", "").strip(),
                password=values.get("password", ""),
            )
        )
    if overfull:
        raise StudentFileRefused(overfull)
    if not rows:
        raise StudentFileRefused([RowError(None, "", "it has no student rows under the header.")])
    if len(rows) > MAX_ROWS:
        raise StudentFileRefused(
            [RowError(None, "", f"it has {len(rows)} students; import at most {MAX_ROWS} at a time.")]
        )
    return rows
