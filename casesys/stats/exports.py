"""Tables as XLSX and CSV downloads that are safe to open in a spreadsheet.

Text never becomes a formula. In XLSX the workbook converts nothing (no strings to formulas, URLs
or numbers) and every text cell is written with ``write_string``, so ``=HYPERLINK(...)`` stays the
text it is. CSV has no cell types, so a text cell that starts with ``= + - @``, a tab or a carriage
return gets a leading apostrophe (OWASP's advice against CSV injection): the apostrophe shows in
the cell, which is the price of opening the file safely. Numbers are written as numbers; money
keeps its exact value (as a number when a spreadsheet's double holds it exactly, else as text).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

import xlsxwriter
from flask import Response

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_MAX_EXACT_INT = 2**53


@dataclass(frozen=True)
class Percent:
    """A fraction shown as a percentage: 0.989 -> 98.9%."""

    value: float | None
    decimals: int = 1

    def __str__(self) -> str:
        return "" if self.value is None else f"{Decimal(str(self.value)) * 100:.{self.decimals}f}%"


@dataclass(frozen=True)
class Table:
    """What a download holds: a title, a line saying what was selected, a header row and rows.

    Cells are ``str`` (text), ``int``, ``float``, ``Decimal`` (money), ``Percent``, ``date`` or None.
    """

    name: str  # ASCII, for the file and sheet names
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    subtitle: str = ""


def filename(table: str, date_from: date, date_to: date, fmt: str) -> str:
    return f"casesys-{table}-{date_from.isoformat()}-{date_to.isoformat()}.{fmt}"


def content_disposition(name: str) -> str:
    """``attachment`` with the name; a non-ASCII name also goes as RFC 5987 ``filename*``."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    if fallback == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(table: Table, fmt: str, name: str) -> Response:
    body = to_xlsx(table) if fmt == "xlsx" else to_csv(table)
    response = Response(body, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = content_disposition(name)
    return response


# ---- XLSX --------------------------------------------------------------------------------------

def _exact_as_double(value: Decimal) -> bool:
    """Whether a spreadsheet number (a double, written with 16 significant digits) keeps ``value``."""
    number = float(value)
    return Decimal(f"{number:.16G}") == value


def to_xlsx(table: Table) -> bytes:
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(_sheet_name(table.name))
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 13}),
        "header": workbook.add_format({"bold": True, "bg_color": "#EEF1F4", "bottom": 1}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "float": workbook.add_format({"num_format": "0.0"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
    }
    sheet.write_string(0, 0, table.title, formats["title"])
    if table.subtitle:
        sheet.write_string(1, 0, table.subtitle)
    header_row = 3
    widths = [len(h) * 2 + 2 for h in table.header]
    for col, heading in enumerate(table.header):
        sheet.write_string(header_row, col, heading, formats["header"])
    for r, row in enumerate(table.rows, start=header_row + 1):
        for col, cell in enumerate(row):
            _write_cell(workbook, sheet, formats, r, col, cell)
            if col < len(widths):
                widths[col] = max(widths[col], min(60, len(str(cell or "")) + 2))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(width, 60))
    sheet.freeze_panes(header_row + 1, 0)
    workbook.close()
    return out.getvalue()


def _write_cell(workbook, sheet, formats, row: int, col: int, cell) -> None:
    if cell is None or (isinstance(cell, Percent) and cell.value is None):
        sheet.write_blank(row, col, None)
    elif isinstance(cell, bool):
        sheet.write_boolean(row, col, cell)
    elif isinstance(cell, int):
        if abs(cell) < _MAX_EXACT_INT:
            sheet.write_number(row, col, cell)
        else:
            sheet.write_string(row, col, str(cell))
    elif isinstance(cell, Decimal):
        if _exact_as_double(cell):
            sheet.write_number(row, col, float(cell), formats["money"])
        else:
            sheet.write_string(row, col, str(cell))
    elif isinstance(cell, float):
        sheet.write_number(row, col, cell, formats["float"])
    elif isinstance(cell, Percent):
        key = f"percent{cell.decimals}"
        if key not in formats:
            zeros = "0" * cell.decimals
            formats[key] = workbook.add_format({"num_format": f"0.{zeros}%" if zeros else "0%"})
        sheet.write_number(row, col, cell.value, formats[key])
    elif isinstance(cell, date) and not isinstance(cell, datetime):
        sheet.write_datetime(row, col, cell, formats["date"])
    else:
        sheet.write_string(row, col, str(cell))


def _sheet_name(name: str) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name).strip("'")
    return (cleaned or "Sheet1")[:31]


# ---- CSV ---------------------------------------------------------------------------------------

def csv_text(value: str) -> str:
    """Text a spreadsheet will not run: a leading apostrophe before = + - @, tab or CR."""
    return "'" + value if value.startswith(CSV_FORMULA_PREFIXES) else value


def _csv_cell(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int | float | Decimal):
        return str(cell)
    if isinstance(cell, Percent):
        return str(cell)
    if isinstance(cell, date):
        return cell.isoformat()
    return csv_text(str(cell))


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheet programs read the Chinese), header then rows."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(h) for h in table.header])
    for row in table.rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8")
