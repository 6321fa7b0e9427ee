"""The fixed wording of the patient's report, from one gettext catalogue per language.

The catalogues are ``locale/<language>/LC_MESSAGES/report.po`` beside this module. Each entry is

    msgctxt "disclaimer"          the stable key the code looks the text up by
    msgid "This second..."        the English source, the same in every catalogue
    msgstr "Diese Zweitmeinung..." the text shown to the patient (in en, the English itself)

so a translator sees the English next to their text, and a changed English source shows up as a
catalogue whose msgid no longer matches (the tests compare them). The texts are written for lay
readers: short sentences, everyday words, the reader addressed directly (formal "Sie", "vous",
"Lei"). ``{placeholders}`` are filled in by the code, as each entry's ``#.`` comment says.

The .po files are read directly by a small parser, so that no compile step (msgfmt, Babel) stands
between editing a catalogue and shipping it; ``Catalogue`` is a ``gettext.NullTranslations``, so
anything that speaks gettext can use it.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from secondopinion.models import Language

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "report"


class PoSyntaxError(ValueError):
    """A .po file this parser cannot read; the message names the line."""


@dataclass(frozen=True)
class Message:
    """One catalogue entry; ``context`` is None for an entry without msgctxt (the header)."""

    context: str | None
    msgid: str
    msgstr: str
    fuzzy: bool = False


_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"\s*$')
_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(.*)$")


def _unquote(text: str, line_no: int) -> str:
    match = _QUOTED.fullmatch(text.strip())
    if match is None:
        raise PoSyntaxError(f"line {line_no}: expected a quoted string, got {text.strip()!r}")

    def unescape(escape: re.Match[str]) -> str:
        char = escape.group(1)
        if char not in _ESCAPES:
            raise PoSyntaxError(f"line {line_no}: unsupported escape \\{char}")
        return _ESCAPES[char]

    return re.sub(r"\\(.)", unescape, match.group(1))


def parse_po(text: str) -> list[Message]:
    """The entries of a .po file: msgctxt, msgid, msgstr, strings continued over several lines,
    C escapes and the ``#, fuzzy`` flag. Comments are skipped; plural forms and obsolete (``#~``)
    entries are refused, since the report uses neither.
    """
    messages: list[Message] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    current: str | None = None

    def finish(line_no: int) -> None:
        nonlocal fields, flags, current
        if fields:
            if "msgid" not in fields or "msgstr" not in fields:
                raise PoSyntaxError(f"line {line_no}: an entry needs both msgid and msgstr")
            messages.append(
                Message(fields.get("msgctxt"), fields["msgid"], fields["msgstr"], "fuzzy" in flags)
            )
        fields, flags, current = {}, set(), None

    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish(line_no)
        elif line.startswith("#~"):
            raise PoSyntaxError(f"line {line_no}: obsolete entries (#~) are not supported; delete them")
        elif line.startswith("#"):
            if fields:  # a comment starts the next entry
                finish(line_no)
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith('"'):
            if current is None:
                raise PoSyntaxError(f"line {line_no}: a continued string with nothing to continue")
            fields[current] += _unquote(line, line_no)
        else:
            match = _KEYWORD.match(line)
            if match is None:
                raise PoSyntaxError(f"line {line_no}: unexpected {line!r}")
            keyword, rest = match.groups()
            if keyword == "msgid_plural" or keyword.startswith("msgstr["):
                raise PoSyntaxError(f"line {line_no}: plural forms are not supported")
            if keyword in ("msgctxt", "msgid") and "msgstr" in fields:
                finish(line_no)
            if keyword in fields:
                raise PoSyntaxError(f"line {line_no}: {keyword} given twice in one entry")
            fields[keyword] = _unquote(rest, line_no)
            current = keyword
    finish(len(text.splitlines()) + 1)
    return messages


def _header(messages: Iterable[Message]) -> dict[str, str]:
    header = next((m.msgstr for m in messages if m.context is None and m.msgid == ""), "")
    pairs = (line.split(":", 1) for line in header.splitlines() if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


class Catalogue(gettext.NullTranslations, Mapping[str, str]):
    """One language's texts: a read-only mapping from key (msgctxt) to text, and gettext's API.

    An entry that is fuzzy or has an empty msgstr counts as untranslated, as with msgfmt: its key
    gives the English msgid. The tests make sure no shipped catalogue has one.
    """

    def __init__(self, messages: Iterable[Message]) -> None:
        super().__init__()
        messages = list(messages)
        self._info = _header(messages)
        charset = re.search(r"charset=([\w-]+)", self._info.get("content-type", "charset=UTF-8"))
        self._charset = charset.group(1) if charset else "UTF-8"
        self._translations: dict[tuple[str | None, str], str] = {}
        self._by_key: dict[str, str] = {}
        for message in messages:
            if message.context is None and message.msgid == "":
                continue
            translated = bool(message.msgstr) and not message.fuzzy
            if translated:
                self._translations[(message.context, message.msgid)] = message.msgstr
            if message.context is not None:
                if message.context in self._by_key:
                    raise PoSyntaxError(f"msgctxt {message.context!r} is used twice")
                self._by_key[message.context] = message.msgstr if translated else message.msgid
        self.messages: tuple[Message, ...] = tuple(m for m in messages if m.context is not None)

    @classmethod
    def from_po(cls, path: Path) -> Catalogue:
        text = path.read_text(encoding="utf-8")
        try:
            return cls(parse_po(text))
        except PoSyntaxError as error:
            raise PoSyntaxError(f"{path}: {error}") from error

    def gettext(self, message: str) -> str:
        return self._translations.get((None, message)) or super().gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        return self._translations.get((context, message)) or super().pgettext(context, message)

    def __getitem__(self, key: str) -> str:
        return self._by_key[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)


def catalogue_path(language: Language) -> Path:
    return LOCALE_DIR / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"


TEXTS: Mapping[Language, Catalogue] = MappingProxyType(
    {language: Catalogue.from_po(catalogue_path(language)) for language in Language}
)
"""The shipped catalogues, read once when the module is imported (at cold start)."""
