"""Plain-text tables: columns padded to their widest cell, two spaces apart."""

from __future__ import annotations


def table(rows: list[list[str]], indent: str = "") -> list[str]:
    """One line per row (the first row is the header), each prefixed by *indent*."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
