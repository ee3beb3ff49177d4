"""``sql_rule``: a user rule as a Spark SQL predicate over signals and metadata.

``where`` is any Spark SQL boolean expression over the columns present when the
rule runs (earlier signals, ``url``, ``source``, …), e.g.
``url_domain = 'example.com'`` or ``gopher_word_count < 80 AND lang = 'en'``. A
document for which it is true is removed with reason ``sql:<name>``. The stage
may be listed any number of times; each instance appears in the stats as
``sql_rule[<name>]``. It computes nothing: in a fused pass it costs no text work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from winnow.errors import ConfigError
from winnow.stage import Rule, SignalStage, StageParams, TextBatch, register

_RULE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@dataclass
class SqlRuleParams(StageParams):
    name: str = ""
    where: str = ""


@register
class SqlRule(SignalStage):
    """Remove documents matching a SQL predicate, under a reason the user names."""

    name = "sql_rule"
    family = "sql"
    repeatable = True
    Params = SqlRuleParams
    params: SqlRuleParams

    def instance_name(self) -> str:
        return f"{type(self).name}[{self.params.name}]"  # one stats row per rule

    def validate(self) -> None:
        if not _RULE_NAME.fullmatch(self.params.name):
            raise ConfigError("name: required, letters, digits and _ (it becomes the reason)")
        if not self.params.where.strip():
            raise ConfigError("where: required, a Spark SQL predicate")

    def output_fields(self) -> list[pa.Field]:
        return []

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        return {}

    def rules(self) -> list[Rule]:
        return [Rule(self.params.name, f"({self.params.where})")]
