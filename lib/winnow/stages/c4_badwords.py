"""``c4_badwords``: C4's bad-words rule with a LDNOOBW list per language.

``lists`` maps language codes to word-list files (the shared LDNOOBW lists, or the
user's own). A document's language is its ``lang`` column (from ``lid``, earlier in
the pipeline) when present, else ``default_language``; a document whose language
has no list is not judged (signal null). Signal ``c4_badwords``: positions where an
entry matches (whole words, case-insensitive; anywhere for ja/th/zh). Reason:
``c4_badwords:badwords`` when it is above 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa

from winnow import worker
from winnow.errors import ConfigError
from winnow.stage import FilePath, Rule, SignalStage, StageParams, TextBatch, register
from winnow.text.badwords import ALLOWLIST, WordList, count_matches, read_list


@dataclass
class C4BadWordsParams(StageParams):
    lists: dict[str, FilePath] = field(default_factory=dict)
    default_language: str = "en"
    lang_column: str = "lang"
    allowlist: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in ALLOWLIST.items()})


def _language(code: str | None, default: str) -> str:
    """The language code without fastText's ``__label__``; None or empty → the default."""
    if not code:
        return default
    return code.removeprefix("__label__")


@register
class C4BadWords(SignalStage):
    """Remove documents containing a listed bad word of their language."""

    name = "c4_badwords"
    Params = C4BadWordsParams
    params: C4BadWordsParams

    def validate(self) -> None:
        if not self.params.lists:
            raise ConfigError("lists: name at least one word-list file (language: path)")

    def input_columns(self) -> list[str]:
        return [self.params.lang_column]

    def setup(self) -> None:
        self._lists: dict[str, WordList] = {}
        for lang, path in self.params.lists.items():
            allow = tuple(self.params.allowlist.get(lang, ()))
            self._lists[lang] = worker.cached(("c4_badwords", str(path), lang, allow),
                                              partial(read_list, path, lang, allow))

    def _list_for(self, code: str | None) -> WordList | None:
        """The list of ``code``, else of its base language (``en-US``, ``en_Latn`` → ``en``)."""
        lang = _language(code, self.params.default_language)
        found = self._lists.get(lang)
        if found is None:
            found = self._lists.get(lang.replace("_", "-").split("-")[0])
        return found

    def output_fields(self) -> list[pa.Field]:
        return [pa.field("c4_badwords", pa.int64())]

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        langs = batch.column(self.params.lang_column) or [None] * len(batch)
        lists = [self._list_for(code) for code in langs]
        counts = count_matches(batch.texts, lists)
        return {"c4_badwords": pa.array(counts, pa.int64(), mask=counts < np.int64(0))}

    def rules(self) -> list[Rule]:
        return [Rule("badwords", "c4_badwords > 0")]
