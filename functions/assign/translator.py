"""Who drafts the translation of a reading written in another language than the patient's.

`none` (the default): no machine draft; the radiologist who signs the translation off writes it.
`amazon-translate`: Amazon Translate drafts it, and the radiologist checks, corrects and signs it
off. Amazon Translate is not offered in the home region (eu-central-2), so this sends the
reading's text, health data, to another region: an operator enables it explicitly (infra/config.py).
Machine translation of radiology text is not safe unsupervised, which is why a draft is never
shown to the patient before a radiologist has signed it off.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Protocol

import boto3
from botocore.config import Config
from secondopinion.models import Language, TranslatorName

MAX_REQUEST_BYTES = 10_000
"""TranslateText takes at most 10,000 bytes of UTF-8 text per request."""

CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=4)
BUDGET_SECONDS = 5.0
"""No request starts after this long: with the client's timeouts, a slow service leaves the
translation to the radiologist well within the assign function's 20 s, instead of timing out
the workflow step."""


class TranslationTooSlow(TimeoutError):
    """The machine did not finish within its budget."""


SPLITS = (r"(\n\s*\n)", r"(\n)", r"(?<=[.!?…])(\s+)", r"(\s+)")
"""Where a text too long for one request is cut, coarsest first: paragraphs, lines, sentences, words."""


class Translator(Protocol):
    """Turns texts from one language into another, in order; None when it drafts nothing."""

    name: TranslatorName

    def translate(self, texts: Sequence[str], source: Language, target: Language) -> list[str] | None: ...


class RadiologistTranslates:
    """No machine translation: the radiologist who signs the translation off writes it."""

    name: TranslatorName = "none"

    def translate(self, texts: Sequence[str], source: Language, target: Language) -> list[str] | None:
        return None


class AmazonTranslate:
    """Amazon Translate's TranslateText in `region`, addressing the reader formally ("Sie",
    "vous", "Lei"; ignored for English) like the report's own texts."""

    name: TranslatorName = "amazon-translate"

    def __init__(
        self,
        region: str,
        client: Any = None,
        budget_seconds: float = BUDGET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.region = region
        self._client = client
        self.budget_seconds = budget_seconds
        self._clock = clock
        self._deadline = 0.0

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = translate_client(self.region)
        return self._client

    def translate(self, texts: Sequence[str], source: Language, target: Language) -> list[str]:
        self._deadline = self._clock() + self.budget_seconds
        return [self._one(text, source, target) for text in texts]

    def _one(self, text: str, source: Language, target: Language) -> str:
        out = []
        for piece in pieces(text, MAX_REQUEST_BYTES):
            core = piece.strip()
            if not core:
                out.append(piece)
                continue
            # The whitespace around a piece is kept as it is: it is where the text was cut.
            start = piece.index(core)
            translated = self._request(core, source, target)
            out.append(piece[:start] + translated + piece[start + len(core) :])
        return "".join(out)

    def _request(self, text: str, source: Language, target: Language) -> str:
        if self._clock() > self._deadline:
            raise TranslationTooSlow(f"machine translation took more than {self.budget_seconds:g} s")
        answer = self.client.translate_text(
            Text=text,
            SourceLanguageCode=source.value,
            TargetLanguageCode=target.value,
            Settings={"Formality": "FORMAL"},
        )
        return str(answer["TranslatedText"])


def pieces(text: str, limit: int) -> list[str]:
    """`text` cut into pieces of at most `limit` UTF-8 bytes at the coarsest boundary that makes
    them fit; the separators are pieces of their own, so joining the pieces gives back `text`."""
    return _cut(text, limit, 0)


def _size(text: str) -> int:
    return len(text.encode())


def _cut(text: str, limit: int, level: int) -> list[str]:
    if _size(text) <= limit:
        return [text]
    if level == len(SPLITS):  # one word longer than a request: cut it by characters
        out, current = [], ""
        for char in text:
            if _size(current + char) > limit:
                out.append(current)
                current = ""
            current += char
        return [*out, current]
    out = []
    current = ""
    for part in re.split(SPLITS[level], text):
        if _size(current + part) <= limit:
            current += part
            continue
        if current:
            out.append(current)
        current = ""
        if _size(part) <= limit:
            current = part
        else:
            out.extend(_cut(part, limit, level + 1))
    if current:
        out.append(current)
    return out


@cache
def translate_client(region: str) -> Any:
    """One Amazon Translate client per region and process, built on first use."""
    return boto3.session.Session().client("translate", region_name=region, config=CLIENT_CONFIG)


def translator_for(name: TranslatorName, region: str | None) -> Translator:
    """The translator the deployment chose."""
    if name == "amazon-translate":
        if not region:
            raise ValueError("The amazon-translate translator needs TRANSLATE_REGION.")
        return AmazonTranslate(region)
    return RadiologistTranslates()
