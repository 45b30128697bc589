"""PDF documents with fpdf2 (pure Python; no system packages, so it runs in Lambda as is).

fpdf2 is imported on first use: only building an evidence pack pays for it. Text is set in DejaVu Sans
(chalicelib/fonts, Bitstream Vera licence), embedded as a subset, so any name or note prints as
written, not just Latin-1.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

FONT = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans.ttf"
SIZES = {"h1": 15.0, "h2": 11.5, "p": 9.0, "small": 7.5}
Block = tuple[str, str]  # (style: h1 | h2 | p | small, text)


def render(blocks: Iterable[Block], *, title: str, page_label: str) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    class Document(FPDF):  # type: ignore[misc]
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", size=SIZES["small"])
            self.cell(0, 5, f"{title} · {page_label} {self.page_no()}", align="C")

    pdf = Document(format="A4")
    pdf.set_title(title)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.add_page()
    for style, text in blocks:
        size = SIZES[style]
        pdf.set_font("DejaVu", size=size)
        if style in ("h1", "h2"):
            pdf.ln(2)
        pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
