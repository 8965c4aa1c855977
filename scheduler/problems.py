"""Problems found in a campaign's files, and the error that carries them.

A :class:`Problem` names where it is (file, data row, column) and says in
Vietnamese what is wrong and why. Readers collect every problem instead of
stopping at the first, so a coordinator can fix a whole file in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a campaign's files.

    Attributes
    ----------
    file : str
        The file's name, e.g. ``"people.csv"`` or ``"campaign.toml"``.
    row : int or None
        The 1-based data row (the header is not counted); ``None`` for a problem of
        the whole file or of a column. The spreadsheet line is ``row + 1``.
    column : str or None
        The canonical (English) column name, or the TOML key such as ``"rules.night_start"``.
    message : str
        What is wrong, in Vietnamese.
    heading : str or None
        The column's header as the file wrote it, when it differs from ``column``
        (a Vietnamese header such as ``"Ngày bận"``); shown to the user.
    severity : str
        ``"error"`` (the default: the campaign does not load), ``"warning"`` (it loads, but something
        looks wrong, such as a table with a header and no rows) or ``"note"`` (what the reader did on
        the user's behalf: the header line it found, a column it ignored, an old ward name it
        converted). Only errors block a load.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    heading: str | None = None
    severity: str = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def line(self) -> int | None:
        """The line of the file as a spreadsheet numbers it (the header is line 1)."""
        return None if self.row is None else self.row + 1

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", hàng {self.row} (dòng {self.line})"
        if self.column is not None:
            shown = self.column if self.heading in (None, self.column) else f"'{self.heading}' ({self.column})"
            where += f", {'khoá' if self.file.endswith('.toml') else 'cột'} {shown}"
        return f"{where}: {self.message}"


class CampaignLoadError(ValueError):
    """A campaign's files have problems; nothing was loaded.

    Attributes
    ----------
    problems : tuple of Problem
        Every problem found, in file order.
    """

    def __init__(self, problems):
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"không đọc được chiến dịch: {count} lỗi"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))
