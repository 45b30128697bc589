"""PDF documents with fpdf2 (pure Python; no system packages, so it runs in Lambda as is).

fpdf2 is imported on first use: only building an evidence pack pays for it. Text is set in DejaVu Sans
(chalicelib/fonts, Bitstream Vera licence), embedded as a subset, so any name or note prints as
written, not just Latin-1.

Lines are wrapped and placed here, each set with `text`: fpdf2's `multi_cell` measures a line again for
every character it adds (a minute for 2,000 paragraphs) and `cell` costs three times `text` per line.
"""
from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

FONT = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans.ttf"
SIZES = {"h1": 15.0, "h2": 11.5, "p": 9.0, "small": 7.5}
AVERAGE_EM = 0.56  # DejaVu Sans' mean glyph width in ems (Latin text): the first wrap tried
MARGIN = 15.0  # mm
FOOTER = 16.0  # mm kept free at the bottom of a page
PT = 25.4 / 72  # mm per point
Block = tuple[str, str]  # (style: h1 | h2 | p | small, text)


def wrapped(text: str, chars: int, fits: Callable[[str], bool]) -> Iterator[str]:
    """The lines of `text`, wrapped narrower until every line fits."""
    for paragraph in text.split("\n"):
        width = chars
        while True:
            lines = textwrap.wrap(paragraph, width) or [""]
            if width <= 8 or all(fits(line) for line in lines):
                yield from lines
                break
            width = int(width * 0.85)


def render(blocks: Iterable[Block], *, title: str, page_label: str) -> bytes:
    from fpdf import FPDF

    class Document(FPDF):  # type: ignore[misc]
        def footer(self) -> None:
            self.set_font("DejaVu", size=SIZES["small"])
            self.text(MARGIN, self.h - 8, f"{title} · {page_label} {self.page_no()}")

    pdf = Document(format="A4")
    pdf.set_title(title)
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.add_page()
    width = pdf.w - 2 * MARGIN
    y = MARGIN
    for style, text in blocks:
        size = SIZES[style]
        pdf.set_font("DejaVu", size=size)
        height = size * PT * 1.45
        y += height * 0.6 if style in ("h1", "h2") else 0
        chars = max(20, int(width / (size * AVERAGE_EM * PT)))
        for line in wrapped(text, chars, lambda line: pdf.get_string_width(line) <= width):
            if y + height > pdf.h - FOOTER:
                pdf.add_page()
                y = MARGIN
            y += height
            if line:
                pdf.text(MARGIN, y - height * 0.25, line)
    return bytes(pdf.output())
