"""The stage contract: every capability of winnow is a Stage.

A stage either computes per-document signals over Arrow batches (``SignalStage``:
pure text work, fused with its neighbours into one vectorised pass, then decided by
SQL predicates) or transforms the whole annotated frame (``FrameStage``: dedup).
A signal stage whose decision needs a value over the whole corpus (a global
percentile, a corpus count) says so with ``corpus_wide`` and returns its rules from
``decide``, called after the fused pass. Stages never drop rows: a rejected document
gets ``reason`` (``family:rule``) and ``stage``; only the writer splits kept from
removed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import pyarrow as pa

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from winnow.text.words import Tokens

MODES = ("filter", "annotate", "off")


@dataclass
class StageParams:
    """Parameters every stage accepts; subclasses add their own typed fields."""

    mode: str = "filter"


class FilePath(str):
    """Marks a parameter naming a file that must exist (checked before Spark starts)."""


class ModelPath(FilePath):
    """A ``FilePath`` naming a fastText model; a local one must read as a model."""


#: Upper bound of every number whose parameter declares no range (counts, lengths).
MAX_NUMBER = 10**9


@dataclass(frozen=True)
class Range:
    """The numbers a parameter accepts (every element, for lists and maps).

    Undeclared numeric parameters get ``Range()``: 0 … ``MAX_NUMBER``. ``zero``
    also accepts 0 (a parameter where 0 means off or automatic).
    """

    lo: float = 0
    hi: float = MAX_NUMBER
    lo_open: bool = False
    hi_open: bool = False
    zero: bool = False

    def __contains__(self, x: float) -> bool:
        if self.zero and x == 0:
            return True
        above = x > self.lo if self.lo_open else x >= self.lo
        below = x < self.hi if self.hi_open else x <= self.hi
        return above and below

    def __str__(self) -> str:
        def num(x: float) -> str:
            return str(int(x)) if float(x).is_integer() else repr(x)

        text = (f"{'(' if self.lo_open else '['}{num(self.lo)}, {num(self.hi)}"
                f"{')' if self.hi_open else ']'}")
        return f"0 or in {text}" if self.zero else f"in {text}"


FRACTION = Range(0.0, 1.0)


def bounded(rng: Range, default: Any = dataclasses.MISSING, *,
            factory: Any = dataclasses.MISSING) -> Any:
    """A ``Params`` field whose numbers must lie in ``rng`` (checked by ``winnow.config``)."""
    return field(default=default, default_factory=factory, metadata={"range": rng})


@dataclass(frozen=True)
class Rule:
    """Reject a document when the SQL ``predicate`` over its columns is true."""

    name: str
    predicate: str


def threshold_rules(params: StageParams, table: Iterable[tuple[str, str, str, str]], *,
                    zero_off: bool = False) -> list[Rule]:
    """Rules ``<column> <op> <value>`` from rows (reason, column, op, parameter), in order.

    A parameter that is None (or 0, with ``zero_off``) switches its rule off.
    """
    rules = []
    for reason, column, op, name in table:
        value = getattr(params, name)
        if value is not None and (value or not zero_off):
            rules.append(Rule(reason, f"{column} {op} {value!r}"))
    return rules


def flag_rules(params: StageParams, table: Iterable[tuple[str, str, str]]) -> list[Rule]:
    """Rules from rows (reason, predicate, parameter): on while the parameter is truthy
    (a switch, or the file the signal needs), in order."""
    return [Rule(reason, predicate) for reason, predicate, name in table
            if getattr(params, name)]


class PublishedIndexes(Protocol):
    """The committed dedup indexes of a nightly state (``winnow.state.State``)."""

    def index(self, name: str) -> DataFrame | None:
        """Rows of index ``name`` published by earlier runs, or None."""


@dataclass
class RunContext:
    """What a stage may use besides its params: the session and run-wide settings."""

    spark: SparkSession
    run_id: str
    checkpoint_dir: str | None = None
    #: Nightly mode: the state whose published indexes dedup stages read; else None.
    state: PublishedIndexes | None = None


#: The column holding each document's language code (the ``lid`` stage's output, or an
#: input column): it picks word segmenters and ``per_language`` parameters.
LANG_COLUMN = "lang"


class TextBatch:
    """One Arrow batch of documents with tokenisations shared by all signal stages.

    Views (``lines``, ``words`` …) are computed on first use and reset when a stage
    rewrites the text, so every family of a fused pass tokenises a document once.
    """

    def __init__(self, texts: list[str], columns: dict[str, list[Any]] | None = None):
        self._texts = texts
        self.columns: dict[str, list[Any]] = columns or {}

    @property
    def texts(self) -> list[str]:
        return self._texts

    def replace_texts(self, texts: list[str]) -> None:
        """Install rewritten texts (line-level rules) and drop cached tokenisations."""
        self._texts = texts
        for name in [k for k, v in type(self).__dict__.items() if isinstance(v, cached_property)]:
            self.__dict__.pop(name, None)

    def column(self, name: str) -> list[Any] | None:
        """An input column or earlier signal as a Python list; None if the batch lacks it."""
        values = self.columns.get(name)
        return values.to_pylist() if isinstance(values, pa.Array | pa.ChunkedArray) else values

    @cached_property
    def lines(self) -> list[list[str]]:
        return [t.split("\n") for t in self._texts]

    @cached_property
    def words(self) -> list[list[str]]:
        return [t.split() for t in self._texts]

    @cached_property
    def tokens(self) -> Tokens:
        """Word tokens of all documents as flat arrays (``winnow.text.words``); scripts
        without spaces are segmented by the document's ``lang`` (by script without one)."""
        from winnow.text.words import tokenize

        return tokenize(self._texts, self.columns.get(LANG_COLUMN))

    def subset(self, rows: Any) -> TextBatch:
        """The documents at positions ``rows`` (ascending) as a batch of their own; its
        tokens are a slice of this batch's when these are already computed."""
        import numpy as np

        idx = np.asarray(rows, dtype=np.int64)
        texts = [self._texts[i] for i in idx.tolist()]
        take = pa.array(idx)
        columns = {k: v.take(take) if isinstance(v, pa.Array | pa.ChunkedArray)
                   else [v[i] for i in idx.tolist()] for k, v in self.columns.items()}
        sub = TextBatch(texts, columns)
        if "tokens" in self.__dict__:
            sub.__dict__["tokens"] = self.tokens.take(idx)
        return sub

    def __len__(self) -> int:
        return len(self._texts)


class Stage:
    """Base of all stages. ``name`` is the config name and the reason family."""

    #: The config name and registry key on the class; on an instance, the name of its
    #: stats rows and ``stage`` values (``instance_name``).
    name: str
    #: Reason prefix; defaults to ``name`` (dedup stages share the family ``dedup``).
    family: ClassVar[str | None] = None
    Params: ClassVar[type[StageParams]] = StageParams
    #: May be listed more than once; ``instance_name`` must then tell instances apart.
    repeatable: ClassVar[bool] = False

    #: ``per_language`` overrides: language code -> an instance with that language's
    #: params (set by ``winnow.config``; see ``SignalStage``).
    per_language: Mapping[str, Stage] = MappingProxyType({})

    def __init__(self, params: StageParams, index: int = 0):
        self.params = params
        self.index = index
        self.name = self.instance_name()

    def instance_name(self) -> str:
        """This instance's name: the config name (e.g. ``sql_rule[<rule>]`` when repeatable)."""
        return type(self).name

    @property
    def mode(self) -> str:
        return self.params.mode

    def validate(self) -> None:
        """Refuse bad params with a ``ConfigError`` naming the key (before Spark starts)."""

    def reason(self, rule: str) -> str:
        return f"{self.family or self.name}:{rule}"

    def stats_tables(self, df: DataFrame, run_id: str) -> dict[str, DataFrame]:
        """Extra statistics tables (name -> small DataFrame) from the final frame.

        Written to ``OUTPUT/stats/<name>/``; each should carry a ``run_id`` column.
        """
        return {}


class SignalStage(Stage):
    """Pure per-document text work, run inside one fused ``mapInArrow`` pass.

    ``per_language`` overrides (any parameter but ``mode``, per language code) apply
    per document by its ``lang`` column, for every subclass without code of its own:
    ``rules`` become ``CASE lang WHEN … END`` predicates, and ``compute`` runs again,
    with the override's params, on the sub-batch of each language whose override
    changes a parameter in ``compute_params`` (one vectorised call per language).
    """

    #: Params that change what ``compute`` returns (None: all but ``mode``); an
    #: override of only other params (thresholds) costs no second compute.
    compute_params: ClassVar[tuple[str, ...] | None] = None
    #: True when the stage's own ``rules`` already apply its ``per_language`` params.
    own_language_rules: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        from winnow.langid.overrides import wrap_compute, wrap_input_columns, wrap_rules

        for name, wrap in (("compute", wrap_compute), ("rules", wrap_rules),
                           ("input_columns", wrap_input_columns)):
            fn = cls.__dict__.get(name)
            if fn is not None and not getattr(fn, "per_language_aware", False):
                if name == "rules" and cls.__dict__.get("own_language_rules"):
                    continue
                setattr(cls, name, wrap(fn))

    def output_fields(self) -> list[pa.Field]:
        """Signal columns this stage adds (name and Arrow type)."""
        raise NotImplementedError

    def setup(self) -> None:
        """Prepare before the first batch of a task (models, word lists).

        Called once per task; cache heavy objects at module level (keyed by path) so
        a Python worker loads each model once, not per task or per batch.
        """

    def compute(self, batch: TextBatch) -> dict[str, list[Any] | pa.Array]:
        """Return one value per document for each output field; may rewrite texts."""
        raise NotImplementedError

    def rules(self) -> list[Rule]:
        """SQL predicates deciding rejection, in order; the first true one wins."""
        return []

    def input_columns(self) -> list[str]:
        """Columns besides ``text`` this stage reads from ``batch.columns`` (e.g. ``url``).

        Frame columns, or signals of an earlier stage of the same pass; a name that
        is neither is absent from ``batch.columns``. ``lang`` is always read (word
        segmentation and ``per_language`` need it).
        """
        return [LANG_COLUMN]

    def modifies_text(self) -> bool:
        """True for stages that rewrite the text; they must output ``<name>_modified``."""
        return False

    def corpus_wide(self) -> bool:
        """True when the decision needs a value over the whole corpus (a global
        percentile, a corpus count): the pipeline then calls ``decide``, not ``rules``."""
        return False

    def decide(self, df: DataFrame, ctx: RunContext) -> list[Rule]:
        """The rules of a ``corpus_wide`` stage in filter mode, decided on the driver.

        ``df`` is the fused pass's frame, materialised once per pass, with the rules of
        the stages before this one applied: its kept rows are the documents still kept
        at this point in config order. The rules returned run before those of later
        stages. Keep what was decided (a threshold) on ``self`` for ``stats_tables``.
        """
        return self.rules()


class FrameStage(Stage):
    """A whole-frame transformation (e.g. dedup) over the annotated DataFrame."""

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        raise NotImplementedError

    def output_columns(self) -> list[str]:
        """Columns ``apply`` adds (user SQL rules of later stages may name them)."""
        return []

    def reject(self, df: DataFrame, cond: Column, rule: str, survivor: Column) -> DataFrame:
        """Where ``cond`` holds, set ``reason`` (``family:rule``), ``stage`` and
        ``duplicate_of`` = ``survivor``; other rows keep their values."""
        from pyspark.sql import functions as F

        return df.withColumns({
            "duplicate_of": F.when(cond, survivor).otherwise(F.col("duplicate_of")),
            "stage": F.when(cond, F.lit(self.name)).otherwise(F.col("stage")),
            "reason": F.when(cond, F.lit(self.reason(rule))).otherwise(F.col("reason")),
        })

    #: The indexes ``index_tables`` writes: the state discards, compacts and cleans
    #: up exactly these.
    index_names: ClassVar[tuple[str, ...]] = ()

    def index_tables(self, df: DataFrame) -> dict[str, DataFrame]:
        """Nightly mode: dedup keys of this run's kept documents (index name -> rows).

        They join the state's index when the run commits; later runs read them back
        with ``ctx.state.index(name)`` to remove duplicates of published documents
        (reason ``dedup:duplicate_of_published``). Each name is one of ``index_names``.
        """
        return {}


class RewriteStage(FrameStage):
    """A corpus-wide stage that cuts parts of the text (line and substring dedup).

    ``drops`` decides over the whole frame, in Spark (nothing reaches the driver),
    which character spans of which kept documents go: rows ``(id, spans)`` with
    ``spans`` an array of ``struct<start: int, end: int>`` (code point offsets into
    the current text; overlaps allowed). ``apply`` then cuts them in one Arrow pass
    (``winnow.subdedup.rewrite``) that adds ``<name>_modified`` and
    ``<name>_chars_removed``. A document that would lose more than
    ``params.max_removed_fraction`` of its characters, or be left blank, is removed
    with ``<family>:mostly_duplicate`` and keeps its text. In annotate mode the text
    stays; ``<name>_chars_removed`` says what filter mode would cut.
    """

    def drops(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        raise NotImplementedError

    def modifies_text(self) -> bool:
        return True

    def output_columns(self) -> list[str]:
        return [f"{self.name}_modified", f"{self.name}_chars_removed"]

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        from winnow.subdedup.rewrite import apply_drops

        return apply_drops(self, df, self.drops(df, ctx), ctx)


REGISTRY: dict[str, type[Stage]] = {}


def register(cls: type[Stage]) -> type[Stage]:
    """Class decorator adding a stage to the registry under ``cls.name``."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"stage name {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


def param_fields(params_cls: type[StageParams]) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(params_cls)}

