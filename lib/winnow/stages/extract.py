"""``extract``: HTML to text for WARC input (``input.format: warc``), on the executors.

The WARC reader puts each response's decoded HTML in ``text``; this stage replaces it
with the extracted main text (``extractor: resiliparse``, the default, or
``trafilatura``, see ``winnow.text.html``), in its own Arrow pass (``starts_pass``):
the rules of the stages before it (``url``, FineWeb's first filter) are applied
first, and a row that is already rejected is never parsed. Its text becomes ""
then, as does the text of every row this stage removes, so raw HTML never reaches
``kept/`` or ``removed/``.

Reasons, checked in this order:

* ``extract:content_type``: the response's ``content_type`` is none of
  ``content_types`` (default ``text/html``, ``application/xhtml+xml``);
* ``extract:http_status``: its ``http_status`` is none of ``http_statuses`` (200);
* ``extract:no_text``: the extractor returned nothing but white space.

Signals: ``extract_outcome`` (``ok``, ``content_type``, ``http_status``,
``no_text``, or ``skipped`` for rows rejected before), ``extract_html_chars``
(characters of the HTML parsed) and ``extract_modified`` (the text was replaced).
A page the extractor fails on (a parser exception) counts as ``no_text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import pyarrow as pa

from winnow import worker
from winnow.errors import ConfigError
from winnow.stage import Rule, SignalStage, StageParams, TextBatch, register
from winnow.text.html import EXTRACTORS, RESILIPARSE_DEFAULTS, extractor, trafilatura_available

OUTCOMES = ("ok", "content_type", "http_status", "no_text", "skipped")


@dataclass
class ExtractParams(StageParams):
    extractor: str = "resiliparse"
    content_types: list[str] = field(
        default_factory=lambda: ["text/html", "application/xhtml+xml"])
    http_statuses: list[int] = field(default_factory=lambda: [200])
    # resiliparse's extract_plain_text options (ignored by trafilatura)
    main_content: bool = RESILIPARSE_DEFAULTS["main_content"]
    preserve_formatting: bool = RESILIPARSE_DEFAULTS["preserve_formatting"]
    list_bullets: bool = RESILIPARSE_DEFAULTS["list_bullets"]
    alt_texts: bool = RESILIPARSE_DEFAULTS["alt_texts"]
    links: bool = RESILIPARSE_DEFAULTS["links"]
    form_fields: bool = RESILIPARSE_DEFAULTS["form_fields"]
    noscript: bool = RESILIPARSE_DEFAULTS["noscript"]
    comments: bool = RESILIPARSE_DEFAULTS["comments"]
    # trafilatura's options (ignored by resiliparse); datatrove's FineWeb settings
    favor_precision: bool = True
    include_comments: bool = False
    deduplicate: bool = True


def _options(p: ExtractParams) -> dict[str, Any]:
    if p.extractor == "trafilatura":
        return {"favor_precision": p.favor_precision, "include_comments": p.include_comments,
                "deduplicate": p.deduplicate}
    return {k: getattr(p, k) for k in RESILIPARSE_DEFAULTS}


def _load(name: str, options: tuple[tuple[str, Any], ...]) -> Any:
    return extractor(name, dict(options))


@register
class Extract(SignalStage):
    """HTML to main text; removes non-HTML, non-200 and empty pages."""

    name = "extract"
    Params = ExtractParams
    params: ExtractParams
    #: Its own pass: earlier stages' rules are applied before it, so it skips their rejects.
    starts_pass: ClassVar[bool] = True

    def validate(self) -> None:
        p = self.params
        if p.extractor not in EXTRACTORS:
            raise ConfigError(
                f"extractor: must be one of {', '.join(EXTRACTORS)}, got {p.extractor!r}")
        if p.extractor == "trafilatura" and not trafilatura_available():
            raise ConfigError("extractor: trafilatura is not installed "
                              "(pip install trafilatura), or use resiliparse")
        if not p.content_types:
            raise ConfigError("content_types: name at least one media type")
        if not p.http_statuses:
            raise ConfigError("http_statuses: name at least one HTTP status")

    def input_columns(self) -> list[str]:
        return ["reason", "content_type", "http_status"]

    def modifies_text(self) -> bool:
        return True

    def setup(self) -> None:
        options = tuple(sorted(_options(self.params).items()))
        self._extract = worker.cached(("extract", self.params.extractor, options),
                                      partial(_load, self.params.extractor, options))

    def output_fields(self) -> list[pa.Field]:
        return [pa.field("extract_outcome", pa.string()),
                pa.field("extract_html_chars", pa.int64()),
                pa.field("extract_modified", pa.bool_())]

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        n = len(batch)
        reasons = batch.column("reason") or [None] * n
        types = batch.column("content_type") or [None] * n
        statuses = batch.column("http_status") or [None] * n
        allowed_types = {t.lower() for t in self.params.content_types}
        allowed_status = set(self.params.http_statuses)
        old = batch.texts
        texts, outcomes, html_chars = [], [], []
        for html, reason, ctype, status in zip(old, reasons, types, statuses, strict=True):
            chars = None
            if reason is not None:
                outcome, text = "skipped", ""
            elif ctype not in allowed_types:
                outcome, text = "content_type", ""
            elif status not in allowed_status:
                outcome, text = "http_status", ""
            else:
                chars = len(html)
                try:
                    text = self._extract(html).strip()
                except Exception:  # noqa: BLE001 - a parser failure is a page without text
                    text = ""
                outcome = "ok" if text else "no_text"
            texts.append(text)
            outcomes.append(outcome)
            html_chars.append(chars)
        batch.replace_texts(texts)
        return {"extract_outcome": outcomes, "extract_html_chars": html_chars,
                "extract_modified": [a != b for a, b in zip(old, texts, strict=True)]}

    def rules(self) -> list[Rule]:
        return [Rule(o, f"extract_outcome = '{o}'")
                for o in ("content_type", "http_status", "no_text")]
