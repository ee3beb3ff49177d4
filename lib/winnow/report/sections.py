"""The sections of the curation report, each from the statistics tables it needs.

A section function returns a :class:`Section`, or ``None`` when its table is absent
(``languages`` only exists with the ``lid`` stage, ``dup_clusters`` with MinHash dedup),
so the report shows what a run produced and skips the rest. Every string from the data
is HTML-escaped here or in :mod:`winnow.report.charts`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

import yaml

from winnow.report import charts
from winnow.report import formatting as fmt
from winnow.report.funnel import Removal, Step, removals, run_totals, trends
from winnow.report.tables import StatsTables

#: Tables drawn by a dedicated section; any other table is listed generically.
DRAWN = ("stage_summary", "run", "signals", "domains", "examples", "languages",
         "dup_clusters", "repeated_units", "contamination")
TOP_LANGUAGES = 20
TOP_DOMAINS = 20
TOP_LOSING_DOMAINS = 15
GENERIC_ROWS = 25
#: With more signals than this, the section starts with an index of links to each.
SIGNAL_INDEX_FROM = 6
#: Above this many distinct cluster sizes the histogram groups sizes into powers of two.
MAX_SIZE_COLUMNS = 40


@dataclass
class Section:
    """One block of the page: an anchor, a heading and its HTML body."""

    anchor: str
    title: str
    body: str


@dataclass
class RunView:
    """What the sections share about the run being detailed."""

    tables: StatsTables
    run_id: str
    run_ids: list[str]
    steps: list[Step]

    @property
    def docs_in(self) -> int:
        return self.steps[0].docs_in if self.steps else 0

    @property
    def chars_in(self) -> int:
        return self.steps[0].chars_in if self.steps else 0

    def stage_colors(self) -> dict[str, str]:
        """A colour per stage for its reasons; quarantine (stage ``input``) in grey."""
        colors = {s.stage: charts.PALETTE[i % (len(charts.PALETTE) - 1)]
                  for i, s in enumerate(x for x in self.steps if x.stage != "input")}
        colors["input"] = charts.MUTED
        return colors


def table_html(head: list[str], rows: list[list[str]], numeric: set[int] | None = None,
               cls: str = "", row_attrs: list[str] | None = None) -> str:
    """An HTML table from already-escaped cells; ``numeric`` columns align right."""
    numeric = numeric or set()

    def cell(tag: str, i: int, content: str) -> str:
        return f'<{tag} class="num">{content}</{tag}>' if i in numeric else \
            f"<{tag}>{content}</{tag}>"

    thead = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = []
    for k, r in enumerate(rows):
        attrs = row_attrs[k] if row_attrs else ""
        body.append(f"<tr{attrs}>" + "".join(cell("td", i, c) for i, c in enumerate(r))
                    + "</tr>")
    klass = f' class="{cls}"' if cls else ""
    return (f"<div class=\"table-wrap\"><table{klass}><thead><tr>{thead}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def meter(part: float, whole: float, color: str = charts.KEPT) -> str:
    """A small inline bar showing ``part / whole`` next to a number."""
    width = 0.0 if not whole else max(0.0, min(100.0, 100.0 * part / whole))
    return (f'<span class="meter"><span style="width:{width:.1f}%;background:{color}">'
            "</span></span>")


def overview(v: RunView) -> str:
    """The headline numbers of the run, as cards above everything else."""
    last = v.steps[-1] if v.steps else None
    kept = last.docs_out if last else 0
    quarantined = next((s.removed for s in v.steps if s.stage == "input"), 0)
    removed = v.docs_in - kept - quarantined
    cards = [
        ("Input documents", fmt.count(v.docs_in), f"{fmt.compact(v.chars_in)} characters"),
        ("Kept", fmt.count(kept), f"{fmt.percent(kept, v.docs_in)} of input"),
        ("Removed", fmt.count(removed), f"{fmt.percent(removed, v.docs_in)} by "
         f"{len([r for r in removals(v.steps) if r.stage != 'input'])} rules"),
        ("Quarantined", fmt.count(quarantined), "unreadable records"),
        ("Characters kept", fmt.compact(last.chars_out if last else 0),
         f"{fmt.percent(last.chars_out if last else 0, v.chars_in)} of input characters"),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="card-label">{escape(a)}</div>'
        f'<div class="card-value">{escape(b)}</div><div class="card-note">{escape(c)}</div>'
        "</div>" for a, b, c in cards) + "</div>"


def funnel_section(v: RunView) -> Section:
    """Documents and characters surviving each stage, as charts and as a table."""
    docs = [charts.FunnelRow(s.stage, s.docs_in, s.docs_out) for s in v.steps]
    chars = [charts.FunnelRow(s.stage, s.chars_in, s.chars_out) for s in v.steps]
    rows, attrs = [], []
    for s in v.steps:
        rows.append([
            f"{s.index}", escape(s.stage), fmt.count(s.docs_in),
            fmt.count(s.removed) if s.removed else "·",
            fmt.count(s.modified) if s.modified is not None else "·",
            fmt.count(s.docs_out), fmt.percent(s.docs_out, v.docs_in),
            fmt.compact(s.chars_out), fmt.percent(s.chars_out, v.chars_in),
            fmt.seconds(s.cpu_seconds) if s.cpu_seconds else "·",
        ])
        attrs.append(f' data-stage="{escape(s.stage)}" data-docs-in="{s.docs_in}" '
                     f'data-docs-out="{s.docs_out}" data-chars-out="{s.chars_out}"')
    body = (
        '<p class="lede">Each bar is what is still kept after the stage, as a share of '
        'the run\'s input; the <span class="swatch removed"></span> part is what the stage '
        "removed. Characters are counted as read, before normalisation.</p>"
        '<div class="grid2">'
        + charts.funnel(docs, v.docs_in, "Documents")
        + charts.funnel(chars, v.chars_in, "Characters", fmt.compact)
        + _token_funnel(v)
        + "</div>"
        + table_html(["#", "stage", "documents in", "removed", "modified", "documents out",
                      "of input", "characters out", "of input", "Python CPU"],
                     rows, numeric={0, 2, 3, 4, 5, 6, 7, 8, 9}, cls="funnel-table",
                     row_attrs=attrs)
        + '<p class="note">“modified”: documents a line-level rule rewrote but kept. '
        "“Python CPU”: time in the stage's signal code, summed over executors.</p>"
    )
    return Section("funnel", "Funnel", body)


def _token_funnel(v: RunView) -> str:
    """The funnel in tokens, when a ``tokens`` stage counted them (``stage_summary.tokens``)."""
    steps = [s for s in v.steps if s.tokens_in is not None and s.tokens_out is not None]
    if not steps:
        return ""
    rows = [charts.FunnelRow(s.stage, s.tokens_in, s.tokens_out) for s in steps]
    return charts.funnel(rows, steps[0].tokens_in, "Tokens", fmt.compact)


def reasons_section(v: RunView) -> Section:
    """Removed documents per reason, as bars coloured by stage, and a table."""
    found = removals(v.steps)
    if not found:
        return Section("reasons", "Why documents were removed",
                       '<p class="empty">No document was removed in this run.</p>')
    colors = v.stage_colors()
    bars = [charts.Bar(r.reason, r.documents, colors.get(r.stage, charts.REMOVED),
                       f"{fmt.count(r.documents)} · {fmt.percent(r.documents, v.docs_in)}")
            for r in found]
    rows = [[f'<a href="#ex-{_slug(r.reason)}">{escape(r.reason)}</a>', escape(r.stage),
             fmt.count(r.documents), fmt.percent(r.documents, v.docs_in),
             fmt.compact(r.characters), fmt.percent(r.characters, v.chars_in)]
            for r in found]
    head = ["reason", "stage", "documents", "of input", "characters", "of input chars"]
    if any(r.tokens is not None for r in found):  # the funnel in tokens (``tokens`` stage)
        head.append("tokens")
        for row, r in zip(rows, found, strict=True):
            row.append(fmt.compact(r.tokens) if r.tokens is not None else "·")
    body = (charts.hbars(bars, "Removed documents by reason (first failing rule)")
            + table_html(head, rows, numeric=set(range(2, len(head))))
            + '<p class="note">A document counts once, under the first rule it failed, '
            "in config order. Input reasons are records quarantined before any stage.</p>")
    return Section("reasons", "Why documents were removed", body)


def trend_section(v: RunView) -> Section | None:
    """Across several runs: input and kept per run, and each stage's removal rate."""
    if len(v.run_ids) < 2:
        return None
    rows = v.tables.rows("stage_summary")
    stage_trends = trends(rows, v.run_ids)
    labels = v.run_ids
    docs_in, kept = run_totals(rows, labels)
    overall = charts.lines(labels, [charts.Series("input", docs_in, charts.MUTED),
                                    charts.Series("kept", kept, charts.KEPT)],
                           "Documents in and kept per run")
    smalls = [charts.lines(labels, [charts.Series("removed", [
        None if x is None else 100 * x for x in t.removed_share()], charts.REMOVED)],
        f"{t.stage}: % of its input removed", number=lambda x: f"{x:.1f}%")
        for t in stage_trends]
    head = ["run", "input", "kept", "kept %"] + [f"{t.stage} removed" for t in stage_trends]
    table_rows = []
    for i, run_id in enumerate(labels):
        table_rows.append(
            [escape(run_id) + (" <em>(detailed)</em>" if run_id == v.run_id else ""),
             fmt.count(docs_in[i]), fmt.count(kept[i]), fmt.percent(kept[i], docs_in[i])]
            + [fmt.percent(None if t.docs_in[i] is None else t.docs_in[i] - (t.docs_out[i] or 0),
                           t.docs_in[i]) for t in stage_trends])
    body = (f'<p class="lede">{len(labels)} runs, oldest first. Each small chart is one '
            "stage's share of its own input removed, run by run: a jump means the data "
            "or the rule changed.</p>"
            f'<div class="grid3">{overall}{"".join(smalls)}</div>'
            + table_html(head, table_rows, numeric=set(range(1, len(head))), cls="trend-table"))
    return Section("trend", "Across runs: the trend of each stage", body)


def languages_section(v: RunView) -> Section | None:
    """Documents, characters, kept and removed per language (``lid`` stage)."""
    if not v.tables.has("languages"):
        return None
    langs = sorted(v.tables.rows("languages", v.run_id),
                   key=lambda r: (-(r.get("documents") or 0), r.get("lang") or ""))
    total = sum(r.get("documents") or 0 for r in langs)
    rows = []
    for r in langs[:TOP_LANGUAGES]:
        docs, kept = r.get("documents") or 0, r.get("kept") or 0
        rows.append([escape(r.get("lang") or "(none)"), fmt.count(docs),
                     fmt.percent(docs, total), fmt.compact(r.get("characters")),
                     fmt.count(kept), fmt.count(r.get("removed")),
                     f"{meter(kept, docs)}{fmt.percent(kept, docs)}"])
    more = (f'<p class="note">and {len(langs) - TOP_LANGUAGES} more languages with '
            f"{fmt.count(sum(r.get('documents') or 0 for r in langs[TOP_LANGUAGES:]))} "
            "documents.</p>" if len(langs) > TOP_LANGUAGES else "")
    body = (f'<p class="lede">{len(langs)} languages identified (fastText lid.176 top '
            "label; documents the reader quarantined are not counted).</p>"
            + table_html(["language", "documents", "share", "characters", "kept", "removed",
                          "kept share"], rows, numeric={1, 2, 3, 4, 5}) + more)
    return Section("languages", "Languages", body)


def domains_section(v: RunView) -> Section | None:
    """The largest registered domains, and those losing the most documents."""
    if not v.tables.has("domains"):
        return None
    domains = v.tables.rows("domains", v.run_id)

    def rows_of(selected: list[dict[str, Any]]) -> list[list[str]]:
        out = []
        for d in selected:
            docs, kept = d.get("documents") or 0, d.get("kept_documents") or 0
            out.append([escape(d.get("domain") or "(no URL)"), fmt.count(docs),
                        fmt.compact(d.get("characters")), fmt.count(d.get("removed_documents")),
                        f"{meter(kept, docs)}{fmt.percent(kept, docs)}"])
        return out

    largest = sorted(domains, key=lambda d: (-(d.get("documents") or 0), d.get("domain") or ""))
    losing = sorted((d for d in domains if (d.get("removed_documents") or 0) > 0),
                    key=lambda d: (-(d.get("removed_documents") or 0), d.get("domain") or ""))
    head = ["domain", "docs", "chars", "removed", "kept"]
    body = (
        '<p class="lede">Registered domain of each document\'s URL (the last two labels, '
        "three under suffixes such as co.uk). The table holds the top domains by documents."
        "</p><div class=\"grid2\"><div><h3>Largest domains</h3>"
        + table_html(head, rows_of(largest[:TOP_DOMAINS]), numeric={1, 2, 3}, cls="compact")
        + "</div><div><h3>Domains losing the most documents</h3>"
        + (table_html(head, rows_of(losing[:TOP_LOSING_DOMAINS]), numeric={1, 2, 3},
                      cls="compact")
           if losing else '<p class="empty">No domain lost a document.</p>')
        + "</div></div>")
    return Section("domains", "Top domains", body)


#: Rows of the per-signal summary table: column of ``stats/signals`` and its label.
#: Columns of the per-signal quantile table: column of ``stats/signals`` and its label.
SUMMARY_COLUMNS = (("documents", "n"), ("mean", "mean"), ("p01", "1%"), ("p05", "5%"),
                   ("p25", "25%"), ("p50", "50%"), ("p75", "75%"), ("p95", "95%"),
                   ("p99", "99%"))


def signals_section(v: RunView) -> Section | None:
    """Per signal: the kept vs removed histograms (20 fixed bins) and their quantiles."""
    if not v.tables.has("signals"):
        return None
    by_signal: dict[str, dict[str, dict[str, Any]]] = {}
    for r in v.tables.rows("signals", v.run_id):
        by_signal.setdefault(r["signal"], {})[r["subset"]] = r
    colors = {"kept": charts.KEPT, "removed": charts.REMOVED}
    cards = []
    for signal, subsets in by_signal.items():
        ordered = [(name, subsets[name]) for name in ("kept", "removed") if name in subsets]
        edges = next((r.get("hist_edges") for _, r in ordered if r.get("hist_edges")), None)
        chart = ""
        if edges:
            series = [charts.Series(f"{name} ({fmt.count(r.get('documents'))})",
                                    r.get("hist_counts") or [], colors[name])
                      for name, r in ordered]
            spreads = [charts.Spread(name, r.get("p05"), r.get("p25"), r.get("p50"),
                                     r.get("p75"), r.get("p95"), colors[name])
                       for name, r in ordered]
            chart = charts.histogram(edges, series, spreads, signal)
        rows = [[f'<span class="swatch" style="background:{colors[name]}"></span>'
                 f"{escape(name)}"]
                + [fmt.compact(r.get(col)) if col == "documents" else fmt.short(r.get(col))
                   for col, _ in SUMMARY_COLUMNS] for name, r in ordered]
        attrs = [f' title="{escape(name)}: min {fmt.value(r.get("min"))}, max '
                 f'{fmt.value(r.get("max"))}"' for name, r in ordered]
        quantiles = table_html([""] + [label for _, label in SUMMARY_COLUMNS], rows,
                               numeric=set(range(1, len(SUMMARY_COLUMNS) + 1)),
                               cls="quantiles", row_attrs=attrs)
        cards.append(f'<div class="signal" id="signal-{_slug(signal)}">'
                     f"{chart or f'<h3>{escape(signal)}</h3>'}{quantiles}</div>")
    index = ""
    if len(by_signal) > SIGNAL_INDEX_FROM:
        index = '<p class="signal-index">' + " · ".join(
            f'<a href="#signal-{_slug(s)}">{escape(s)}</a>' for s in by_signal) + "</p>"
    body = ('<p class="lede">Bars: <span class="swatch kept"></span> kept documents; '
            'outline: <span class="swatch removed"></span> removed ones; each as the share '
            "of its own subset per bin (20 bins from the overall minimum to maximum). "
            "The strips below each chart span the 5–95% quantiles, boxes 25–75%, the "
            "black tick is the median.</p>"
            f'{index}<div class="grid2 signals">{"".join(cards)}</div>')
    return Section("signals", "Signal distributions: kept vs removed", body)


def dedup_section(v: RunView) -> Section | None:
    """The duplicate-cluster size histogram (and the largest clusters, when written)."""
    if not v.tables.has("dup_clusters"):
        return None
    counts: dict[int, tuple[int, int]] = {}
    for r in v.tables.rows("dup_clusters", v.run_id):
        size = int(r.get("cluster_size") or 0)
        c, d = counts.get(size, (0, 0))
        counts[size] = (c + (r.get("clusters") or 0), d + (r.get("documents") or 0))
    # Size 1: documents that met no near-duplicate (their own one-member cluster).
    singles = counts.pop(1, (0, 0))[1]
    alone = (f" {fmt.count(singles)} documents have no near-duplicate." if singles else "")
    if not counts:
        return Section("dedup", "Duplicate clusters",
                       f'<p class="empty">No duplicate cluster in this run.{alone}</p>')
    labels, values = _size_buckets(counts)
    clusters = sum(c for c, _ in counts.values())
    docs = sum(d for _, d in counts.values())
    body = (f'<p class="lede">{fmt.count(clusters)} clusters of near-duplicates holding '
            f"{fmt.count(docs)} documents; the largest has {fmt.count(max(counts))} "
            f"members. One survivor per cluster is kept.{alone}</p>"
            + charts.columns(labels, values, "Clusters by size (members)", unit=" clusters"))
    if v.tables.has("dup_clusters_largest"):
        body += "<h3>Largest clusters</h3>" + largest_clusters(
            v.tables.rows("dup_clusters_largest", v.run_id))
    return Section("dedup", "Duplicate clusters", body)


def subdocument_section(v: RunView) -> Section | None:
    """Characters each text-cutting stage removed, and the most repeated units
    (``line_dedup``'s ``stats/repeated_units``)."""
    cut = [r for r in v.tables.rows("stage_summary", v.run_id)
           if r.get("outcome") == "modified" and r.get("characters")]
    if not cut and not v.tables.has("repeated_units"):
        return None
    body = ('<p class="lede">Stages that cut lines, paragraphs or spans out of documents '
            "they keep: documents modified and characters removed.</p>"
            + table_html(["stage", "documents modified", "characters removed", "of input"],
                         [[escape(r["stage"]), fmt.count(r["documents"]),
                           fmt.compact(r["characters"]), fmt.percent(r["characters"],
                                                                     v.chars_in)]
                          for r in sorted(cut, key=lambda r: r["stage_index"])],
                         numeric={1, 2, 3}))
    units = v.tables.rows("repeated_units", v.run_id)[:TOP_DOMAINS]
    if units:
        body += "<h3>Most repeated units</h3>" + table_html(
            ["copies", "domains", "kept in", "text"],
            [[fmt.count(u.get("copies")), fmt.count(u.get("domains")),
              f"<code>{escape(str(u.get('kept_id')))}</code>",
              escape(u.get("sample_text") or "")] for u in units], numeric={0, 1})
    return Section("subdocument", "Repeated lines and spans removed", body)


def largest_clusters(rows: list[dict[str, Any]]) -> str:
    """Members, survivor and the start of a sample text of the largest clusters."""
    if not rows or not {"cluster_size", "kept_id", "sample_snippet"} <= set(rows[0]):
        return generic_table(rows)
    ordered = sorted(rows, key=lambda r: -(r.get("cluster_size") or 0))[:GENERIC_ROWS]
    cells = [[fmt.count(r.get("cluster_size")), f"<code>{escape(str(r.get('kept_id')))}</code>",
              f'<div class="snippet">{escape(r.get("sample_snippet") or "")}</div>']
             for r in ordered]
    return table_html(["members", "survivor", "sample text"], cells, numeric={0})


def _size_buckets(counts: dict[int, tuple[int, int]]) -> tuple[list[str], list[float]]:
    """Cluster counts per size, or per power-of-two size range when sizes are many."""
    sizes = sorted(counts)
    if len(sizes) <= MAX_SIZE_COLUMNS:
        return [str(s) for s in sizes], [float(counts[s][0]) for s in sizes]
    buckets: dict[int, float] = defaultdict(float)
    for s in sizes:
        buckets[max(s - 1, 1).bit_length()] += counts[s][0]
    labels = []
    for k in sorted(buckets):
        lo, hi = 2 ** (k - 1) + 1, 2 ** k
        labels.append(str(hi) if lo >= hi else f"{lo}–{hi}")
    return labels, [buckets[k] for k in sorted(buckets)]


def examples_section(v: RunView) -> Section | None:
    """For every reason, the sampled removed documents, so a misfiring rule shows."""
    if not v.tables.has("examples"):
        return None
    by_reason: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(v.tables.rows("examples", v.run_id), key=lambda e: str(e.get("id"))):
        by_reason.setdefault(e.get("reason") or "(none)", []).append(e)
    counted = {r.reason: r for r in removals(v.steps)}
    order = [r for r in counted if r in by_reason] + sorted(set(by_reason) - set(counted))
    blocks = []
    for reason in order:
        known: Removal | None = counted.get(reason)
        header = (f'<h3 id="ex-{_slug(reason)}">{escape(reason)} <span class="muted">'
                  + (f"{fmt.count(known.documents)} documents · "
                     f"{fmt.percent(known.documents, v.docs_in)} of input" if known else "")
                  + "</span></h3>")
        items = []
        for e in by_reason[reason]:
            meta = [f"<b>id</b> <code>{escape(str(e.get('id')))}</code>"]
            if e.get("url"):
                meta.append(f"<b>url</b> <code>{escape(str(e['url']))}</code>")
            if e.get("duplicate_of"):
                meta.append(f"<b>duplicate of</b> <code>{escape(str(e['duplicate_of']))}</code>")
            items.append(f'<article class="example"><div class="example-meta">'
                         f"{' · '.join(meta)}</div>"
                         f'<div class="snippet">{escape(e.get("snippet") or "")}</div>'
                         "</article>")
        blocks.append(f'<div class="reason-examples">{header}'
                      f'<div class="examples-grid">{"".join(items)}</div></div>')
    body = ('<p class="lede">A few removed documents per reason (a deterministic '
            "pseudo-random pick), showing the start of each text. Read them to see whether "
            "a rule removes what it should.</p>" + "".join(blocks))
    return Section("examples", "Examples of removed documents", body)


def generic_table(rows: list[dict[str, Any]], limit: int = GENERIC_ROWS) -> str:
    """Any statistics table, first rows, values formatted by type (``run_id`` left out)."""
    if not rows:
        return '<p class="empty">(empty)</p>'
    head = [k for k in rows[0] if k != "run_id"]
    numeric = {i for i, k in enumerate(head)
               if all(isinstance(r.get(k), int | float) or r.get(k) is None for r in rows)}
    cells = [[_cell(r.get(k)) for k in head] for r in rows[:limit]]
    more = (f'<p class="note">{len(rows) - limit} more rows in the table.</p>'
            if len(rows) > limit else "")
    return table_html([escape(h) for h in head], cells, numeric=numeric) + more


def _cell(x: Any) -> str:
    if x is None:
        return "·"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return fmt.count(x)
    if isinstance(x, float):
        return fmt.value(x)
    if isinstance(x, datetime):
        return escape(x.strftime("%Y-%m-%d %H:%M:%S"))
    if isinstance(x, list | tuple):
        shown = ", ".join(_plain(i) for i in x[:8])
        return escape(shown + (f", … ({len(x)})" if len(x) > 8 else ""))
    return escape(str(x))


def _plain(x: Any) -> str:
    if isinstance(x, tuple) and len(x) == 2:
        return f"{x[0]}: {_plain(x[1])}"
    if isinstance(x, float):
        return fmt.value(x)
    return str(x)


def contamination_section(v: RunView) -> Section | None:
    """Per benchmark: documents hit and the items that leak most, with an example
    document (``decontaminate``'s ``stats/contamination``)."""
    if not v.tables.has("contamination"):
        return None
    rows = v.tables.rows("contamination", v.run_id)
    summary = [r for r in rows if r.get("item") is None]
    body = ('<p class="lede">Documents sharing n-grams with evaluation benchmarks.</p>'
            + table_html(["benchmark", "items", "n-grams", "documents hit", "n-grams matched",
                          "items hit"],
                         [[escape(str(r["benchmark"])), fmt.count(r.get("items")),
                           fmt.count(r.get("ngrams")), fmt.count(r.get("documents_hit")),
                           fmt.count(r.get("ngrams_matched")), fmt.count(r.get("items_hit"))]
                          for r in summary], numeric={1, 2, 3, 4, 5}))
    items = [r for r in rows if r.get("item") is not None]
    if items:
        body += "<h3>Items found in the most documents</h3>" + table_html(
            ["benchmark", "item", "documents", "example document", "item text"],
            [[escape(str(r["benchmark"])), fmt.count(r["item"]), fmt.count(r["documents_hit"]),
              f"<code>{escape(str(r.get('example_id')))}</code>",
              escape(r.get("item_excerpt") or "")] for r in items[:GENERIC_ROWS]],
            numeric={1, 2})
    return Section("contamination", "Benchmark contamination", body)


def other_tables_section(v: RunView) -> Section | None:
    """Statistics tables other stages add that have no dedicated chart (e.g. quality)."""
    names = [n for n in v.tables.names if n not in DRAWN and n != "dup_clusters_largest"]
    if not names:
        return None
    body = "".join(f'<h3 id="table-{_slug(n)}"><code>stats/{escape(n)}</code></h3>'
                   + generic_table(v.tables.rows(n, v.run_id)) for n in names)
    return Section("more", "More statistics tables", body)


def run_section(v: RunView) -> Section:
    """The run's metadata: times, config, inputs, versions, cluster, time per step."""
    run = next(iter(v.tables.rows("run", v.run_id)), None)
    manifest = v.tables.manifest(v.run_id)
    items: list[tuple[str, str]] = [("run id", f"<code>{escape(v.run_id)}</code>")]
    wall: list[tuple[str, float]] = []
    if run:
        started, finished = run.get("started_at"), run.get("finished_at")
        if isinstance(started, datetime) and isinstance(finished, datetime):
            items.append(("started → finished (UTC)",
                          f"{escape(started.strftime('%Y-%m-%d %H:%M:%S'))} → "
                          f"{escape(finished.strftime('%H:%M:%S'))} "
                          f"({fmt.seconds((finished - started).total_seconds())})"))
        items += [
            ("config", f"<code>{escape(str(run.get('config_path') or '—'))}</code> · hash "
                       f"<code>{escape(str(run.get('config_hash')))}</code>"),
            ("versions", escape(f"winnow {run.get('winnow_version')} · "
                                f"Spark {run.get('spark_version')} · "
                                f"Python {run.get('python_version')}")),
            ("Spark", escape(f"master {run.get('master')} · default parallelism "
                             f"{run.get('default_parallelism')}")),
            ("documents", escape(
                f"{fmt.count(run.get('documents_in'))} in · {fmt.count(run.get('documents_kept'))}"
                f" kept · {fmt.count(run.get('documents_removed'))} removed · "
                f"{fmt.count(run.get('documents_quarantined'))} quarantined")),
            ("signal passes", escape(f"{run.get('signal_passes')} over "
                                     f"{fmt.count(run.get('signal_pass_rows'))} rows")),
        ]
        inputs = list(run.get("inputs") or [])
        shown = "".join(f"<li><code>{escape(p)}</code></li>" for p in inputs[:20])
        extra = f"<li>… and {len(inputs) - 20} more</li>" if len(inputs) > 20 else ""
        items.append((f"inputs ({len(inputs)})", f'<ul class="inputs">{shown}{extra}</ul>'))
        wall = sorted(_stage_seconds(run.get("stage_wall_seconds")), key=lambda kv: -kv[1])
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{val}</dd>" for k, val in items)
    body = f'<dl class="meta">{dl}</dl>'
    if wall:
        total = sum(secs for _, secs in wall)
        rows = [[escape(name), fmt.seconds(secs),
                 f"{meter(secs, total, charts.MUTED)}{fmt.percent(secs, total)}"]
                for name, secs in wall]
        body += ("<h3>Wall time per step</h3>"
                 + table_html(["step (stages fused into one pass are joined by +)", "wall",
                               "share"], rows, numeric={1}, cls="compact"))
    if manifest and manifest.get("config") is not None:
        config = yaml.safe_dump(manifest["config"], sort_keys=False, allow_unicode=True)
        body += ("<details><summary>Pipeline config of this run</summary>"
                 f'<pre class="config">{escape(config)}</pre></details>')
    return Section("run", "Run", body)


def _slug(s: str) -> str:
    """An HTML id fragment from a reason or table name (``length:too_short``)."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in s)


def _stage_seconds(value: Any) -> list[tuple[str, float]]:
    """``stats/run``'s list of ``{stage, seconds}`` structs (older runs: a MAP, read as
    ``(key, value)`` pairs) as ``(stage, seconds)`` pairs."""
    return [(p["stage"], p["seconds"]) if isinstance(p, dict) else (p[0], p[1])
            for p in (value or [])]
