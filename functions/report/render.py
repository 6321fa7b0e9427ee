"""Render a ``ReportDocument`` as an accessible HTML page and as an A4 PDF."""

from __future__ import annotations

import html
import unicodedata

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from .document import Answer, Block, Bullets, Facts, Paragraph, ReportDocument

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
    raise TypeError(f"unknown block {type(block).__name__}")


# --- Latin-1 for the PDF core font -------------------------------------------------------------

_LATIN1_SUBSTITUTES = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys("\u2022\u2023\u2043\u25cf\u25e6", "-"),
    # Non-breaking stays non-breaking (U+00A0 is latin-1); other spaces become plain ones.
    **dict.fromkeys("\u202f\u2007", "\u00a0"),
    **dict.fromkeys("\t\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u3000", " "),
    # Invisible joiners and selectors would each turn into a stray "?".
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\ufe0e\ufe0f\u00ad", ""),
    # Letters that have no accent to strip, so NFKD leaves them as they are.
    "\u0153": "oe",
    "\u0152": "OE",
    "\u0142": "l",
    "\u0141": "L",
    "\u2039": "<",
    "\u203a": ">",
    "\u2026": "...",
    "\u2265": ">=",
    "\u2264": "<=",
    "\u2260": "!=",
    "\u2248": "~",
    "\u223c": "~",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2194": "<->",
    "\u21d2": "=>",
    "\u2191": "^",
    "\u2193": "v",
    "\u03bc": "\u00b5",
    "\u2103": "\u00b0C",
    "\u2030": "o/oo",
    "\u20ac": "EUR",
    "\u2122": "(TM)",
}


def to_latin1(text: str) -> str:
    """Make ``text`` encodable in latin-1 so the PDF core font can always draw it.

    Typography is mapped to its nearest latin-1 form (curly quotes to straight ones, dashes to
    "-", "≥" to ">="), a letter with an accent latin-1 lacks loses the accent ("ř" -> "r"), control
    characters other than line breaks are dropped and anything else becomes "?".
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    out = []
    for char in text:
        if char in _LATIN1_SUBSTITUTES:
            out.append(_LATIN1_SUBSTITUTES[char])
        elif char == "\n" or (" " <= char <= "~") or ("\u00a0" <= char <= "\u00ff"):
            out.append(char)
        elif unicodedata.category(char) in {"Cc", "Cf"}:
            continue
        else:
            out.append(_without_accents(char))
    return "".join(out)


def _without_accents(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    try:
        base.encode("latin-1")
    except UnicodeEncodeError:
        return "?"
    return base or "?"


# --- PDF ---------------------------------------------------------------------------------------

_FONT = "Helvetica"
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
        self.set_margins(left=20, top=20, right=20)
        self.set_auto_page_break(auto=True, margin=22)
        self.alias_nb_pages("{nb}")

    def header(self) -> None:
        self.set_font(_FONT, size=8.5)
        self.set_text_color(*_MUTED_RGB)
        self.set_y(10)
        if self.page_no() > 1:  # the first page shows the title large, just below
            self.cell(0, 5, to_latin1(self.doc.title))
            self.set_x(self.l_margin)
        self.cell(0, 5, to_latin1(self.doc.issued_on), align="R")
        self.set_draw_color(200, 200, 200)
        self.line(self.l_margin, 16, self.w - self.r_margin, 16)
        self.set_y(self.t_margin)
        self.set_text_color(*_TEXT_RGB)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(_FONT, size=8.5)
        self.set_text_color(*_MUTED_RGB)
        self.cell(0, 5, to_latin1(f"{self.doc.verification_label}: {self.doc.verification_code}"))
        self.set_x(self.l_margin)
        page = self.doc.page_label.format(page=self.page_no(), pages="{nb}")
        self.cell(0, 5, to_latin1(page), align="R")
        self.set_text_color(*_TEXT_RGB)

    def text_block(self, text: str, *, style: str = "", size: float = _BODY_PT, fill: bool = False) -> None:
        self.set_font(_FONT, style=style, size=size)
        self.multi_cell(
            0, size * _LEADING, to_latin1(text), align="L", fill=fill, new_x=XPos.LMARGIN, new_y=YPos.NEXT
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
                for fact in facts:
                    self.keep_together(3 * _LINE)
                    self.text_block(fact.label, style="B", size=9.5)
                    self.text_block(fact.value)
                    self.ln(1)
            case Bullets(items=items):
                for item in items:
                    self.keep_together(2 * _LINE)
                    self.set_font(_FONT, size=_BODY_PT)
                    self.cell(6, _LINE, "-")
                    self.multi_cell(0, _LINE, to_latin1(item), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)


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
