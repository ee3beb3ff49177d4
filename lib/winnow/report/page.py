"""Assemble the curation report: one self-contained HTML page (inline CSS, SVG, script).

The page loads nothing from elsewhere: a Content-Security-Policy allows no fetch at all,
and only the one inline script whose hash it names (it records load and JavaScript
errors as attributes on ``<html>``, which the browser test reads).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from html import escape

import winnow
from winnow.errors import WinnowError
from winnow.report import sections as sec
from winnow.report.funnel import steps
from winnow.report.tables import StatsTables, filesystem

SCRIPT = (
    "window.onerror=function(m,s,l){var d=document.documentElement;"
    "d.setAttribute('data-js-errors',(d.getAttribute('data-js-errors')||'')+m+' (line '+l+'); ');"
    "};window.addEventListener('load',function(){"
    "document.documentElement.setAttribute('data-report-loaded','1');});"
)

CSS = """
:root { --ink: #1f2733; --muted: #5f6b7a; --line: #e3e7ee; --bg: #f6f7f9; --card: #fff;
  --kept: #2f6db5; --removed: #d9631e; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
  "Liberation Sans", Arial, sans-serif; }
header.top { background: #1c2b3f; color: #fff; padding: 26px 0 20px; }
header.top .wrap { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 24px; }
header.top h1 { margin: 0; font-size: 24px; font-weight: 650; letter-spacing: .2px; }
header.top .sub { color: #c5d0de; font-size: 14px; }
header.top code { color: #fff; background: rgba(255,255,255,.1); }
nav.toc { position: sticky; top: 0; z-index: 2; background: #fff;
  border-bottom: 1px solid var(--line); }
nav.toc .wrap { display: flex; flex-wrap: wrap; gap: 4px 18px; padding-top: 8px;
  padding-bottom: 8px; font-size: 14px; }
nav.toc a { color: var(--muted); text-decoration: none; }
nav.toc a:hover { color: var(--kept); }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 28px; }
main.wrap { padding-top: 22px; padding-bottom: 40px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 20px 24px 22px; margin: 0 0 22px; }
section > h2 { margin: 0 0 10px; font-size: 19px; font-weight: 650; }
h3 { font-size: 15px; margin: 18px 0 8px; font-weight: 650; }
p.lede { margin: 0 0 14px; color: var(--muted); max-width: 78ch; }
p.note { margin: 8px 0 0; color: var(--muted); font-size: 13px; }
p.empty { color: var(--muted); font-style: italic; }
.runs-note { margin: 0 0 18px; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 14px;
  margin: 0 0 22px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 14px 16px; }
.card-label { color: var(--muted); font-size: 12.5px; text-transform: uppercase;
  letter-spacing: .5px; }
.card-value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card-note { color: var(--muted); font-size: 13px; }
.grid2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 18px 28px; }
.grid3 { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 14px 22px; }
svg.chart { max-width: 100%; height: auto; display: block; margin: 4px 0 10px;
  font-size: 12.5px; fill: var(--ink); }
svg .chart-title { font-weight: 650; font-size: 13.5px; }
svg .tick { font-size: 11px; fill: var(--muted); }
svg .muted, span.muted, .muted { fill: var(--muted); color: var(--muted); font-weight: 400; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 6px 0 4px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12.5px; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:hover { background: #f3f6fb; }
table.quantiles { font-size: 12px; }
table.quantiles th, table.quantiles td { padding: 2px 4px; white-space: nowrap; }
.signal { border-top: 1px solid var(--line); padding: 12px 0 4px; }
.signal-index { font-size: 13.5px; line-height: 1.8; margin: 0 0 12px; }
.signal-index a { color: var(--kept); text-decoration: none; white-space: nowrap; }
table.compact { font-size: 13px; }
table.compact th, table.compact td { padding: 4px 7px; }
td:has(.meter) { white-space: nowrap; }
.meter { display: inline-block; width: 56px; height: 8px; background: #e9edf3;
  border-radius: 4px; overflow: hidden; vertical-align: middle; margin-right: 6px; }
.meter > span { display: block; height: 100%; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  vertical-align: -1px; margin-right: 4px; }
.swatch.kept { background: var(--kept); }
.swatch.removed { background: var(--removed); }
code { font: 12.5px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono",
  monospace; background: #f1f3f6; padding: 1px 4px; border-radius: 4px;
  overflow-wrap: anywhere; }
.reason-examples { margin-bottom: 18px; }
.example { border-left: 3px solid var(--removed); background: #fbfaf8;
  padding: 8px 12px; margin: 8px 0; border-radius: 0 6px 6px 0; }
.example-meta { font-size: 12.5px; color: var(--muted); margin-bottom: 4px; }
.examples-grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr));
  gap: 0 16px; }
.snippet { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 13.5px;
  line-height: 1.5; max-height: 15em; overflow-y: auto; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px;
  margin: 0 0 14px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
ul.inputs { margin: 0; padding-left: 18px; }
pre.config { background: #f1f3f6; padding: 12px 14px; border-radius: 6px; overflow-x: auto;
  font-size: 12.5px; }
details summary { cursor: pointer; color: var(--kept); margin: 8px 0; }
footer { color: var(--muted); font-size: 13px; padding: 0 0 30px; }
@media (max-width: 900px) { .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .grid2, .grid3, .examples-grid { grid-template-columns: minmax(0, 1fr); } }
@media print { nav.toc { position: static; } section { break-inside: avoid-page; } }
"""


def render(tables: StatsTables, run_id: str | None = None) -> str:
    """The report page for ``run_id`` (default: the latest run) of a stats directory."""
    run_ids = tables.run_ids()
    if not run_ids:
        raise WinnowError(f"{tables.output}: stats/stage_summary holds no run")
    run_id = run_id or run_ids[-1]
    if run_id not in run_ids:
        raise WinnowError(f"run id {run_id!r} not in {tables.output} "
                          f"(runs: {', '.join(run_ids)})")
    view = sec.RunView(tables, run_id, run_ids, steps(tables.rows("stage_summary", run_id)))
    parts = [
        sec.funnel_section(view), sec.reasons_section(view), sec.trend_section(view),
        sec.languages_section(view), sec.domains_section(view), sec.signals_section(view),
        sec.dedup_section(view), sec.subdocument_section(view), sec.contamination_section(view),
        sec.examples_section(view), sec.other_tables_section(view),
        sec.run_section(view),
    ]
    shown = [s for s in parts if s is not None]
    nav = "".join(f'<a href="#{s.anchor}">{escape(s.title)}</a>' for s in shown)
    body = "".join(f'<section id="{s.anchor}"><h2>{escape(s.title)}</h2>{s.body}</section>'
                   for s in shown)
    runs_note = ""
    if len(run_ids) > 1:
        runs_note = (f'<p class="runs-note">This output holds {len(run_ids)} runs; the '
                     f"sections below detail run <code>{escape(run_id)}</code>"
                     f"{' (the latest)' if run_id == run_ids[-1] else ''}; "
                     'see <a href="#trend">the trend across runs</a>. '
                     "Pick another with <code>winnow report --run-id</code>.</p>")
    missing = [n for n in ("languages", "domains", "signals", "dup_clusters", "examples")
               if not tables.has(n)]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    footer = (f"Generated by winnow {escape(winnow.__version__)} on {generated} from "
              f"<code>{escape(tables.output)}</code> (tables: "
              f"{escape(', '.join(tables.names))})."
              + (f" Not in this output: {escape(', '.join(missing))}." if missing else ""))
    title = f"winnow report · {run_id}"
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
           f"script-src 'sha256-{digest}'")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><script>{SCRIPT}</script>"
        f"<style>{CSS}</style></head><body>"
        '<header class="top"><div class="wrap"><h1>Curation report</h1>'
        f'<span class="sub">run <code>{escape(run_id)}</code> · '
        f"<code>{escape(tables.output)}</code></span></div></header>"
        f'<nav class="toc"><div class="wrap">{nav}</div></nav>'
        f'<main class="wrap">{runs_note}{sec.overview(view)}{body}</main>'
        f'<footer class="wrap">{footer}</footer>'
        "</body></html>\n"
    )


def write_report(output: str, html_path: str | None = None, run_id: str | None = None) -> str:
    """Render the report of ``output`` and write it (default ``OUTPUT/report.html``)."""
    tables = StatsTables(output)
    page = render(tables, run_id)
    target = html_path or output.rstrip("/") + "/report.html"
    fs, path = filesystem(target)
    with fs.open_output_stream(path) as f:
        f.write(page.encode("utf-8"))
    return target
