"""The handbook's matrix table, read off the matrix sheet the writer made.

The handbook itself (the page, its flowcharts, its print layout) is
:func:`escflow.render.handbook`; the sheet-specific part is here: which rows of the
first sheet hold each block's header, contact points and timelines, and which cells a
flow leaves without a level.
"""

from __future__ import annotations

from escflow.compile import Matrix
from escflow.io._sheet_book import cell_text
from escflow.io._sheet_write import Written
from escflow.render import MatrixBlock, handbook, paper_named


def matrix_blocks(written: Written) -> list[MatrixBlock]:
    """The blocks of the matrix sheet in ``written`` as plain rows of text."""
    sheet = written.book.sheets[0]
    blocks: list[MatrixBlock] = []
    row = 0
    for block in written.blocks:
        while sheet.is_blank(row):
            row += 1
        header, contacts, timelines = (
            tuple(cell_text(v) for v in cells) for cells in sheet.rows[row : row + 3]
        )
        flows = tuple(
            (flow, tuple(cell_text(v) for v in sheet.rows[row + 3 + offset][1:]))
            for offset, flow in enumerate(block)
        )
        blocks.append(MatrixBlock(header, contacts, timelines, flows))
        row += 3 + len(block)
    return blocks


def handbook_page(matrix: Matrix, written: Written, paper: str = "A4") -> str:
    """The handbook page for ``matrix``, printing on ``paper`` (``A4`` or ``letter``);
    ``written`` is its book (for the matrix table)."""
    return handbook(matrix, matrix_blocks(written), paper_named(paper))
