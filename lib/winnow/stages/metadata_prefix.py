"""``metadata_prefix``: MeCo metadata conditioning, ``text_with_metadata`` on kept documents.

MeCo (Gao et al. 2025, "Metadata Conditioning Accelerates Language Model
Pre-training") prepends the source URL's domain to each document for most of
training and trains the last 10% (the cooldown) on plain text. This stage writes
``template`` followed by the text into ``text_with_metadata`` and leaves ``text``
alone, so both phases read the same output; with ``replace_text: true`` it
rewrites ``text`` itself instead.

``template`` is a Python-style format string over column names, e.g.
``"{domain}\\n\\n"`` (MeCo's form) or ``"URL: {url}\\nLanguage: {lang}\\n\\n"``.
``domain`` is the URL's host, lower-cased, without a leading ``www.`` (the same as
``url_domain`` of the ``url`` stage); any other name is a column of the frame. A
document for which a named value is null or empty gets no prefix (the plain text),
so a missing URL never produces a bare separator. Only kept documents are touched.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from winnow import frame
from winnow.errors import ConfigError
from winnow.stage import FrameStage, RunContext, StageParams, register

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: Names the template may use besides the frame's columns.
DERIVED = ("domain",)


@dataclass
class MetadataPrefixParams(StageParams):
    template: str = "{domain}\n\n"
    #: Rewrite ``text`` instead of writing ``text_with_metadata``.
    replace_text: bool = False


def parse_template(template: str) -> list[tuple[str, str | None]]:
    """(literal, field or None) pieces of a format string; refuses conversions and specs."""
    pieces = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(f"template: {exc} in {template!r} (write {{{{ for a brace)") from None
    for literal, name, spec, conversion in parsed:
        if name is not None and (not name.isidentifier() or spec or conversion):
            raise ConfigError(f"template: {{{name}}} must be a plain column name (no "
                              "format spec, index or conversion)")
        pieces.append((literal, name))
    return pieces


def url_domain() -> Column:
    """The ``url``'s host, lower-cased, without a leading ``www.`` (null when there is none)."""
    host = F.lower(F.expr("try_parse_url(url, 'HOST')"))
    return F.regexp_replace(host, r"^www\.", "")


@register
class MetadataPrefix(FrameStage):
    """``text_with_metadata`` = the rendered ``template`` + ``text`` (MeCo)."""

    name = "metadata_prefix"
    Params = MetadataPrefixParams
    params: MetadataPrefixParams

    def validate(self) -> None:
        if not any(name for _, name in parse_template(self.params.template)):
            raise ConfigError("template: names no column (e.g. \"{domain}\\n\\n\")")

    def output_columns(self) -> list[str]:
        return [] if self.params.replace_text else ["text_with_metadata"]

    def prefix(self, df: DataFrame) -> Column:
        """The rendered template per row; null when a named value is null or empty."""
        parts: list[Column] = []
        values: list[Column] = []
        for literal, name in parse_template(self.params.template):
            if literal:
                parts.append(F.lit(literal))
            if name is None:
                continue
            if name in df.columns:
                value = F.col(name).cast("string")
            elif name in DERIVED:
                value = url_domain()
            else:
                raise ConfigError(f"stages[{self.index}].template: unknown column {name!r} "
                                  f"(columns: {', '.join(df.columns)}; or {', '.join(DERIVED)})")
            values.append(value)
            parts.append(value)
        missing = None
        for v in values:
            cond = v.isNull() | (v == "")
            missing = cond if missing is None else missing | cond
        return F.when(~missing, F.concat(*parts))

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        target = "text" if self.params.replace_text else "text_with_metadata"
        if target != "text" and target in df.columns:
            raise ConfigError(f"stages[{self.index}]: column {target!r} already exists")
        prefixed = F.concat(F.coalesce(self.prefix(df), F.lit("")), F.col("text"))
        value = F.when(frame.is_kept() & F.col("text").isNotNull(), prefixed)
        if target == "text":
            value = value.otherwise(F.col("text"))
        return df.withColumn(target, value)
