"""``tokens``: ``token_count`` per document from a Hugging Face ``tokenizer.json``.

The tokenizer (the ``tokenizers`` library, Rust) is loaded once per Python worker
(``winnow.worker.cached``) and each Arrow batch is encoded in one
``encode_batch_fast`` call, so the count is exactly what the tokenizer itself gives
for the text (``add_special_tokens`` as configured). Nothing is downloaded: the
file must exist before Spark starts. Quarantine rows (no text) get a null count.

With ``token_count`` in the frame, ``stage_summary`` carries a ``tokens`` column and
the report shows the funnel in tokens; ``winnow mix`` samples to a token budget.
Place the stage after the stages that rewrite text (``c4``, ``normalize``), so the
count is that of the text written to ``kept/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from winnow import worker
from winnow.errors import ConfigError
from winnow.stage import FilePath, Range, SignalStage, StageParams, TextBatch, bounded, register

if TYPE_CHECKING:
    from tokenizers import Tokenizer

#: Documents encoded per ``encode_batch`` call (bounds the memory of the encodings).
CHUNK = 1024


@dataclass
class TokensParams(StageParams):
    #: A Hugging Face ``tokenizer.json`` (e.g. saved with ``Tokenizer.save``).
    tokenizer: FilePath = FilePath("")
    #: Count the special tokens the tokenizer's post-processor adds (BOS/EOS).
    add_special_tokens: bool = False
    #: Documents per ``encode_batch`` call.
    chunk: int = bounded(Range(1, 1_000_000), CHUNK)


def load_tokenizer(path: str) -> Tokenizer:
    """The tokenizer of ``path``, once per process."""

    def load() -> Tokenizer:
        from tokenizers import Tokenizer

        return Tokenizer.from_file(path)

    return worker.cached(("tokenizers", path), load)


def count_tokens(tokenizer: Tokenizer, texts: list[str], add_special_tokens: bool,
                 chunk: int = CHUNK) -> np.ndarray:
    """Token counts of ``texts``, batch-encoded ``chunk`` documents at a time."""
    counts = np.zeros(len(texts), dtype=np.int64)
    for start in range(0, len(texts), chunk):
        encodings = tokenizer.encode_batch_fast(texts[start:start + chunk],
                                                add_special_tokens=add_special_tokens)
        counts[start:start + len(encodings)] = [len(e.ids) for e in encodings]
    return counts


@register
class Tokens(SignalStage):
    """Signal ``token_count``: tokens of the document under the configured tokenizer."""

    name = "tokens"
    Params = TokensParams
    params: TokensParams

    def validate(self) -> None:
        path = self.params.tokenizer
        if not path:
            raise ConfigError("tokenizer: required, the path of a tokenizer.json")
        if "://" in path:
            raise ConfigError(f"tokenizer: {path} must be a local file (nothing is "
                              "downloaded at run time)")
        try:
            load_tokenizer(path)
        except Exception as exc:  # tokenizers raises a plain Exception on a bad file
            first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise ConfigError(f"tokenizer: {path} is not a Hugging Face tokenizer.json "
                              f"({first})") from None

    def output_fields(self) -> list[pa.Field]:
        return [pa.field("token_count", pa.int64())]

    def input_columns(self) -> list[str]:
        return ["text"]  # its validity: quarantine rows have no text and no count

    def setup(self) -> None:
        load_tokenizer(self.params.tokenizer)

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        tokenizer = load_tokenizer(self.params.tokenizer)
        counts = count_tokens(tokenizer, batch.texts, self.params.add_special_tokens,
                              self.params.chunk)
        text = batch.columns.get("text")
        valid = None if text is None else np.asarray(text.is_valid())
        mask = None if valid is None or valid.all() else ~valid
        return {"token_count": pa.array(counts, pa.int64(), mask=mask)}
