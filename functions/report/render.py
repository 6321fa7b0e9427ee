"""Render a ``ReportDocument`` as an accessible HTML page and as an A4 PDF."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Collection
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

from .document import Answer, Block, Bullets, Entry, Fact, Facts, Paragraph, ReportDocument

# --- HTML --------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; font-size: 1.125rem;
       line-height: 1.6; color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 42rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.75rem; line-height: 1.25; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ccc; padding-bottom: .25rem; }
h3 { font-size: 1.1rem; margin-bottom: .25rem; }
.notice { border-left: .3rem solid #b35900; background: #fff4e5; padding: .5rem .75rem; }
.unanswered { font-style: italic; }
dt { font-weight: bold; margin-top: .75rem; }
dd { margin-left: 0; }
@media print { body { font-size: 11pt; } main { max-width: none; } }
""".strip()


def render_html(doc: ReportDocument) -> str:
    """A complete, self-contained HTML5 page; every value from the document is escaped."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(doc.language.value)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(doc.title)}</title>",
        f"<style>\n{_STYLE}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{e(doc.title)}</h1>",
        *(f'<p class="notice" role="note">{e(notice)}</p>' for notice in doc.notices),
        "</header>",
    ]
    for section in doc.sections:
        heading_id = f"{section.id.value}-heading"
        parts.append(f'<section id="{e(section.id.value)}" aria-labelledby="{e(heading_id)}">')
        parts.append(f'<h2 id="{e(heading_id)}">{e(section.heading)}</h2>')
        parts.extend(_html_block(block) for block in section.blocks)
        parts.append("</section>")
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _html_text(text: str) -> str:
    return "<br>\n".join(html.escape(line) for line in text.split("\n"))


def _html_block(block: Block) -> str:
    match block:
        case Paragraph(text=text):
            return f"<p>{_html_text(text)}</p>"
        case Answer(question=question, answer=answer, answered=answered):
            css = "" if answered else ' class="unanswered"'
            return f"<h3>{_html_text(question)}</h3>\n<p{css}>{_html_text(answer)}</p>"
        case Facts(facts=facts):
            rows = "\n".join(f"<dt>{_html_text(f.label)}</dt><dd>{_html_text(f.value)}</dd>" for f in facts)
            return f"<dl>\n{rows}\n</dl>"
        case Bullets(items=items):
            return "<ul>\n" + "\n".join(f"<li>{_html_text(item)}</li>" for item in items) + "\n</ul>"
        case Entry(title=title, facts=facts):
            return f"<h3>{_html_text(title)}</h3>\n" + _html_block(Facts(facts=facts))
    raise TypeError(f"unknown block {type(block).__name__}")


# --- Characters the embedded font can draw ----------------------------------------------------

_SPACES = dict.fromkeys("\t\u2028\u2029", " ")
_REPLACEMENT = "\ufffd"


def drawable(text: str, codepoints: Collection[int]) -> str:
    """``text`` with every character the font lacks replaced, so that the PDF never drops one.

    Line breaks stay, tabs and line separators become spaces, other control and format characters
    are dropped. A character the font lacks becomes its compatibility form when the font has that
    ("㎤" -> "cm3", a full-width A, U+FF21 -> "A"), anything else the replacement character U+FFFD, which
    the reader sees as a missing character rather than as punctuation.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    out = []
    for char in text:
        if char == "\n" or ord(char) in codepoints:
            out.append(char)
        elif char in _SPACES:
            out.append(_SPACES[char])
        elif unicodedata.category(char) not in {"Cc", "Cf", "Mn"}:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base and all(ord(c) in codepoints for c in base) else _REPLACEMENT)
    return "".join(out)


# --- PDF ---------------------------------------------------------------------------------------

_FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FONT = "DejaVuSans"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
_BULLET = "\u2022"
_TEXT_RGB = (26, 26, 26)
_MUTED_RGB = (90, 90, 90)
_ACCENT_RGB = (20, 60, 110)
_NOTICE_RGB = (255, 244, 229)
_BODY_PT = 10.5
_LEADING = 0.52  # mm of line height per point of font size: about 1.5 line spacing
_LINE = _BODY_PT * _LEADING


class _ReportPdf(FPDF):
    def __init__(self, doc: ReportDocument) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc = doc
        for style, file in _FONT_FILES.items():
            self.add_font(_FONT, style, str(_FONT_DIR / file))
        # A glyph that only the regular face has (the bold and oblique ones are smaller) is taken
        # from it rather than left out.
        self.set_fallback_fonts([_FONT], exact_match=False)
        regular = self.fonts[_FONT.lower()]
        assert isinstance(regular, TTFFont)
        self.codepoints = frozenset(regular.cmap)
        self.set_margins(left=20, top=20, right=20)
        self.set_auto_page_break(auto=True, margin=22)
        self.alias_nb_pages("{nb}")

    def header(self) -> None:
        self.set_font(_FONT, size=8.5)
        self.set_text_color(*_MUTED_RGB)
        self.set_y(10)
        if self.page_no() > 1:  # the first page shows the title large, just below
            self.cell(0, 5, self.drawable(self.doc.title))
            self.set_x(self.l_margin)
        self.cell(0, 5, self.drawable(self.doc.issued_on), align="R")
        self.set_draw_color(200, 200, 200)
        self.line(self.l_margin, 16, self.w - self.r_margin, 16)
        self.set_y(self.t_margin)
        self.set_text_color(*_TEXT_RGB)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(_FONT, size=8.5)
        self.set_text_color(*_MUTED_RGB)
        self.cell(0, 5, self.drawable(self.doc.footer_verification))
        self.set_x(self.l_margin)
        page = self.doc.page_label.format(page=self.page_no(), pages="{nb}")
        self.cell(0, 5, self.drawable(page), align="R")
        self.set_text_color(*_TEXT_RGB)

    def drawable(self, text: str) -> str:
        return drawable(text, self.codepoints)

    def text_block(self, text: str, *, style: str = "", size: float = _BODY_PT, fill: bool = False) -> None:
        self.set_font(_FONT, style=style, size=size)
        self.multi_cell(
            0, size * _LEADING, self.drawable(text), align="L", fill=fill, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def keep_together(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit: a label never ends a page alone."""
        if self.will_page_break(height):
            self.add_page()

    def heading(self, text: str, *, size: float) -> None:
        self.keep_together(size * _LEADING + 4 * _LINE)
        self.ln(3)
        self.set_text_color(*_ACCENT_RGB)
        self.text_block(text, style="B", size=size)
        self.set_text_color(*_TEXT_RGB)
        self.ln(1.5)

    def block(self, block: Block) -> None:
        match block:
            case Paragraph(text=text):
                self.text_block(text)
            case Answer(question=question, answer=answer, answered=answered):
                self.keep_together(3 * _LINE)
                self.text_block(question, style="B")
                self.text_block(answer, style="" if answered else "I")
            case Facts(facts=facts):
                self.facts(facts)
            case Bullets(items=items):
                for item in items:
                    self.keep_together(2 * _LINE)
                    self.set_font(_FONT, size=_BODY_PT)
                    self.cell(6, _LINE, _BULLET)
                    self.multi_cell(
                        0, _LINE, self.drawable(item), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
                    )
            case Entry(title=title, facts=facts):
                self.keep_together(5 * _LINE)
                self.text_block(title, style="B")
                self.ln(1)
                self.facts(facts)
        self.ln(2)

    def facts(self, facts: list[Fact]) -> None:
        for fact in facts:
            self.keep_together(3 * _LINE)
            self.text_block(fact.label, style="B", size=9.5)
            self.text_block(fact.value)
            self.ln(1)


def render_pdf(doc: ReportDocument, compress: bool = True) -> bytes:
    """An A4 PDF of the report; the same document always gives the same bytes.

    ``compress=False`` leaves the page content streams readable, for tests.
    """
    pdf = _ReportPdf(doc)
    pdf.set_compression(compress)
    pdf.set_title(doc.title)
    pdf.set_lang(doc.language.value)
    pdf.set_author(doc.radiologist_name)
    pdf.set_creator("secondopinion")
    pdf.set_creation_date(doc.issued_at)
    pdf.add_page()

    pdf.set_text_color(*_ACCENT_RGB)
    pdf.text_block(doc.title, style="B", size=18)
    pdf.set_text_color(*_TEXT_RGB)
    pdf.ln(2)
    for notice in doc.notices:
        pdf.set_fill_color(*_NOTICE_RGB)
        pdf.text_block(notice, style="B", fill=True)
        pdf.ln(2)
    for section in doc.sections:
        pdf.heading(section.heading, size=13)
        for block in section.blocks:
            pdf.block(block)
    return bytes(pdf.output())
