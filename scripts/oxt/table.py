"""Tables: plain text (columns padded to their widest cell, two spaces apart) and markdown."""

from __future__ import annotations


def table(rows: list[list[str]], indent: str = "") -> list[str]:
    """One line per row (the first row is the header), each prefixed by *indent*."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def markdown_table(rows: list[list[str]]) -> list[str]:
    """The same rows as a GitHub markdown table (``|`` in cells escaped, empty cells kept)."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|") or " "
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join("---" for _ in rows[0]) + "|"]
    return out + ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows[1:]]
