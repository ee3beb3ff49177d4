"""``url``: URL blocklist and banned words (RefinedWeb/FineWeb's first filter), see
``winnow.text.url``.

Each list is a file named in the config (``blocklist``: domains; ``banned_words``,
``soft_banned_words``, ``banned_subwords``: words); a rule runs only when its list
is given. Reasons, in datatrove's order: ``blocked_domain``, ``banned_word``,
``soft_banned_words`` (at least ``soft_threshold`` of them), ``banned_subword``.
Signals ``url_domain`` (host without ``www.``, also for user SQL rules),
``url_blocked`` and the three word counts; null for documents without a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import pyarrow as pa

from winnow import worker
from winnow.stage import (
    MAX_NUMBER,
    FilePath,
    Range,
    Rule,
    SignalStage,
    StageParams,
    TextBatch,
    bounded,
    flag_rules,
    register,
)
from winnow.text.url import UrlLists, read_entries, signals


def _build_lists(files: tuple[str | None, ...]) -> UrlLists:
    """The blocklist and word lists named by ``files`` (None: an empty list)."""
    return UrlLists.build(*[read_entries(f) if f else [] for f in files])


@dataclass
class UrlParams(StageParams):
    blocklist: FilePath | None = None
    banned_words: FilePath | None = None
    soft_banned_words: FilePath | None = None
    banned_subwords: FilePath | None = None
    soft_threshold: int = bounded(Range(1, MAX_NUMBER), 2)  # 0 would match every URL
    column: str = "url"


@register
class Url(SignalStage):
    """Domain blocklist and banned words in the document's URL."""

    name = "url"
    Params = UrlParams
    params: UrlParams

    def input_columns(self) -> list[str]:
        return [self.params.column]

    def setup(self) -> None:
        p = self.params
        files = (p.blocklist, p.banned_words, p.soft_banned_words, p.banned_subwords)
        self._lists = worker.cached(("url", files), partial(_build_lists, files))

    def output_fields(self) -> list[pa.Field]:
        return [pa.field("url_domain", pa.string()), pa.field("url_blocked", pa.bool_()),
                pa.field("url_banned_words", pa.int64()),
                pa.field("url_soft_banned_words", pa.int64()),
                pa.field("url_banned_subwords", pa.int64())]

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        urls = batch.column(self.params.column) or [None] * len(batch)
        found = signals(urls, self._lists)
        return {"url_domain": found.domain, "url_blocked": found.blocked,
                "url_banned_words": found.banned_words,
                "url_soft_banned_words": found.soft_banned_words,
                "url_banned_subwords": found.banned_subwords}

    def rules(self) -> list[Rule]:
        """A rule per list given (``soft_threshold`` words of the soft list)."""
        soft = f"url_soft_banned_words >= {self.params.soft_threshold!r}"
        return flag_rules(self.params, [("blocked_domain", "url_blocked", "blocklist"),
                                        ("banned_word", "url_banned_words > 0", "banned_words"),
                                        ("soft_banned_words", soft, "soft_banned_words"),
                                        ("banned_subword", "url_banned_subwords > 0",
                                         "banned_subwords")])
