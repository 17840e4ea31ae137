#!/usr/bin/env python3
"""Reads an .xlsx workbook with openpyxl (a reader that is not d06's) and prints what a
spreadsheet user would see of its first sheet as JSON, for the export tests
(tests/integration/exports_test.cc, downloads_test.cc):

  {"sheet": "Tổng hợp", "freeze": "A8", "widths": {"A": 40.0, ...},
   "rows": [[{"type": "text", "value": "...", "format": "General"}, ...], ...]}

A cell's type is "date" (openpyxl reads a date: a number with a date format), "number",
"text" or "empty"; a date's value is yyyy-mm-dd.

  read_xlsx.py FILE.xlsx
Exit status 2 when openpyxl is missing (Debian's python3-openpyxl; scripts/setup.sh
installs it), 1 when the file is not a workbook openpyxl can open.
"""
import datetime
import json
import sys

try:
    import openpyxl
except ImportError:
    print("openpyxl is missing: run scripts/setup.sh (Debian's python3-openpyxl)", file=sys.stderr)
    sys.exit(2)


def cell_json(cell):
    value = cell.value
    if value is None:
        kind, shown = "empty", None
    elif isinstance(value, (datetime.datetime, datetime.date)):
        kind, shown = "date", value.strftime("%Y-%m-%d")
    elif isinstance(value, bool):
        kind, shown = "text", str(value)
    elif isinstance(value, (int, float)):
        kind, shown = "number", value
    else:
        kind, shown = "text", str(value)
    return {"type": kind, "value": shown, "format": cell.number_format, "bold": bool(cell.font.b)}


def main():
    try:
        book = openpyxl.load_workbook(sys.argv[1])
    except Exception as error:  # noqa: BLE001 -- any failure to open is the finding
        print(f"openpyxl cannot open {sys.argv[1]}: {error}", file=sys.stderr)
        sys.exit(1)
    sheet = book.worksheets[0]
    rows = [[cell_json(cell) for cell in row] for row in sheet.iter_rows()]
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items() if dim.width}
    json.dump({"sheet": sheet.title, "freeze": sheet.freeze_panes or "", "widths": widths,
               "rows": rows}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
