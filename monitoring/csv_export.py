"""The teacher's CSV downloads: UTF-8 with a BOM (so spreadsheets read the accents), CRLF lines, and no cell a
spreadsheet would run as a formula."""

import csv
import io

from django.http import HttpResponse

CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """Text a spreadsheet shows as text: a cell that would start a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a number is never a formula (and a negative one keeps its sign)
    text = str(value)
    if text.startswith(CSV_FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_response(rows, *, filename: str) -> HttpResponse:
    """The rows (lists of values; the first the header) as a download named `filename`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
