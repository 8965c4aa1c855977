"""Cells that a spreadsheet would run as formulas, neutralised in every file the project writes.

A name or an organisation typed as ``=HYPERLINK(…)``, ``+1+cmd…``, ``-2+3`` or ``@SUM(…)`` is a
formula to Excel and LibreOffice when it opens a CSV file, and in an XLSX cell that is not marked as
text. Every writer goes through this module:

- CSV: :func:`csv_cell` puts the usual leading apostrophe before such a value (the spreadsheet then
  shows it as text), and :func:`read_csv_cell` takes exactly that apostrophe off again when a table
  is read, so writing and reading a campaign gives back the same text;
- XLSX: :func:`text_only` marks every text cell of a sheet as a string, never a formula (no
  apostrophe is needed: the cell type says it).
"""

from __future__ import annotations

import re

FORMULA_STARTS = "=+-@\t\r"
_WRITTEN = re.compile(r"'*[=+\-@\t\r]")
_READ = re.compile(r"'+[=+\-@\t\r]")


def csv_cell(value: str) -> str:
    """The CSV form of a text cell: with one more leading apostrophe if it would start a formula.

    Values already starting with apostrophes before such a character get one more, so that
    :func:`read_csv_cell` can always take exactly one off.
    """
    return "'" + value if _WRITTEN.match(value) else value


def read_csv_cell(value: str) -> str:
    """The text of a CSV cell written by :func:`csv_cell` (one leading apostrophe off before a formula start)."""
    return value[1:] if _READ.match(value) else value


def text_only(sheet) -> None:
    """Mark every text cell of an openpyxl worksheet as a string, so that none is read as a formula."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
