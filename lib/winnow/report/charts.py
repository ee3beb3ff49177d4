"""Hand-written inline SVG charts: the report stays one self-contained file, no plot library.

Every chart returns an ``<svg>`` string with a ``viewBox`` (it scales to its column),
text in the page's font, and a ``<title>`` on each mark so hovering shows exact numbers.
All text from the data goes through :func:`html.escape`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from winnow.report import formatting as fmt

KEPT = "#2f6db5"
REMOVED = "#d9631e"
MUTED = "#8a94a6"
GRID = "#e3e7ee"
INK = "#1f2733"
#: Colours for reason families (one per stage), colour-blind-friendly (Okabe–Ito order).
PALETTE = ("#d9631e", "#0072b2", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7a5195",
           "#b22222", "#5f6b7a")


def _svg(width: float, height: float, body: str, label: str, css_class: str = "") -> str:
    cls = f' class="chart {css_class}"' if css_class else ' class="chart"'
    return (f'<svg{cls} xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
            f'aria-label="{escape(label)}">{body}</svg>')


def _text(x: float, y: float, s: str, anchor: str = "start", cls: str = "",
          fill: str | None = None) -> str:
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' fill="{fill}"' if fill else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{attrs}>'
            f"{escape(s)}</text>")


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str,
          opacity: float = 1.0) -> str:
    op = f' fill-opacity="{opacity}"' if opacity < 1 else ""
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" '
            f'fill="{fill}"{op}><title>{escape(tip)}</title></rect>')


def _text_width(s: str, px: float = 12.5) -> float:
    """Rough rendered width of ``s`` (no font metrics in a static file)."""
    return 0.58 * px * len(s)


@dataclass
class FunnelRow:
    """One stage of a funnel: how much came in and how much survived."""

    label: str
    into: int
    out: int


def funnel(rows: Sequence[FunnelRow], total: int, title: str,
           number: Callable[[float], str] = fmt.count) -> str:
    """Bars of what survives each stage (share of the run's input), removed part beside."""
    label_w = max([_text_width(r.label) for r in rows] + [60]) + 14
    bar_w, note_w, row_h, top = 250.0, 170.0, 30.0, 28.0
    width, height = label_w + bar_w + note_w, top + row_h * len(rows) + 8
    body = [_text(0, 16, title, cls="chart-title")]
    scale = bar_w / total if total else 0.0
    for i, r in enumerate(rows):
        y = top + i * row_h
        kept_w, lost_w = r.out * scale, (r.into - r.out) * scale
        body.append(_text(label_w - 10, y + 18, r.label, anchor="end"))
        body.append(f'<rect x="{label_w:.1f}" y="{y + 4:.1f}" width="{bar_w:.1f}" '
                    f'height="{row_h - 8:.1f}" fill="{GRID}" fill-opacity="0.45"/>')
        body.append(_rect(label_w, y + 4, kept_w, row_h - 8, KEPT,
                          f"{r.label}: {number(r.out)} of {number(r.into)} survive"))
        if r.into > r.out:
            body.append(_rect(label_w + kept_w, y + 4, max(lost_w, 1.5), row_h - 8, REMOVED,
                              f"{r.label}: {number(r.into - r.out)} removed"))
        note = (f'<text x="{label_w + bar_w + 10:.1f}" y="{y + 18:.1f}">'
                f"{escape(number(r.out))} <tspan class=\"muted\">"
                f"{escape(fmt.percent(r.out, total))}</tspan>")
        if r.into > r.out:
            note += f' <tspan fill="{REMOVED}">−{escape(number(r.into - r.out))}</tspan>'
        body.append(note + "</text>")
    return _svg(width, height, "".join(body), title, "funnel")


@dataclass
class Bar:
    """One horizontal bar: a label, its value, a colour and the text after the bar."""

    label: str
    value: float
    color: str
    note: str


def hbars(bars: Sequence[Bar], title: str, bar_w: float = 300.0) -> str:
    """Horizontal bars sorted as given (e.g. removed documents per reason)."""
    label_w = min(max([_text_width(b.label) for b in bars] + [60]) + 14, 300.0)
    note_w = max([_text_width(b.note) for b in bars] + [60]) + 16
    row_h, top = 24.0, 28.0
    width, height = label_w + bar_w + note_w, top + row_h * len(bars) + 6
    peak = max([b.value for b in bars] + [0]) or 1
    body = [_text(0, 16, title, cls="chart-title")]
    fits = int((label_w - 14) / _text_width("x"))
    for i, b in enumerate(bars):
        y = top + i * row_h
        w = max(b.value / peak * bar_w, 1.5 if b.value else 0)
        label = b.label if len(b.label) <= fits else b.label[:fits - 1] + "…"
        body.append(_text(label_w - 10, y + 16, label, anchor="end"))
        body.append(_rect(label_w, y + 3, w, row_h - 6, b.color, f"{b.label}: {b.note}"))
        body.append(_text(label_w + w + 8, y + 16, b.note, cls="muted"))
    return _svg(width, height, "".join(body), title, "bars")


@dataclass
class Series:
    """A named sequence of values drawn in one colour (histogram counts, a trend)."""

    name: str
    values: Sequence[float | None]
    color: str


@dataclass
class Spread:
    """Quantiles of one subset for the box strip under a histogram."""

    name: str
    p05: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    p95: float | None
    color: str


def histogram(edges: Sequence[float], series: Sequence[Series], spreads: Sequence[Spread],
              title: str) -> str:
    """Overlaid fixed-bin histograms (share of each subset per bin) with box strips of
    the 5/25/50/75/95% quantiles on the same axis: kept as bars, removed as an outline."""
    width, left, right, top, plot_h = 560.0, 56.0, 14.0, 26.0, 130.0
    strip_h = 16.0
    plot_w = width - left - right
    axis_y = top + plot_h
    height = axis_y + 22 + strip_h * len(spreads) + 4
    lo, hi = edges[0], edges[-1]
    span = (hi - lo) or 1.0
    n = len(edges) - 1

    def x_at(v: float) -> float:
        return left + (min(max(v, lo), hi) - lo) / span * plot_w

    shares = []
    for s in series:
        total = sum(v or 0 for v in s.values)
        shares.append([(v or 0) / total if total else 0.0 for v in s.values])
    peak = max([max(sh, default=0) for sh in shares] + [0.01])
    y_max = _nice_ceiling(peak)
    body = [_text(0, 14, title, cls="chart-title")]
    for k in range(3):
        frac = y_max * k / 2
        y = axis_y - plot_h * k / 2
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}"/>')
        body.append(_text(left - 5, y + 4, f"{frac * 100:.0f}%", anchor="end", cls="tick"))
    bin_w = plot_w / n
    for si, (s, sh) in enumerate(zip(series, shares, strict=True)):
        total = sum(v or 0 for v in s.values)
        if not total:
            continue
        if si == 0:
            for b, share in enumerate(sh):
                if share:
                    h = share / y_max * plot_h
                    tip = (f"{s.name}: {fmt.count(s.values[b])} documents "
                           f"({share * 100:.1f}%) in [{fmt.value(edges[b])}, "
                           f"{fmt.value(edges[b + 1])})")
                    body.append(_rect(left + b * bin_w + 0.5, axis_y - h, bin_w - 1, h,
                                      s.color, tip, 0.8))
        else:
            path = [f"M{left:.1f},{axis_y:.1f}"]
            for b, share in enumerate(sh):
                y = axis_y - share / y_max * plot_h
                path.append(f"L{left + b * bin_w:.1f},{y:.1f}L{left + (b + 1) * bin_w:.1f},{y:.1f}")
            path.append(f"L{width - right:.1f},{axis_y:.1f}Z")
            tip = f"{s.name}: " + ", ".join(f"{v * 100:.1f}%" for v in sh)
            body.append(f'<path d="{"".join(path)}" fill="{s.color}" fill-opacity="0.18" '
                        f'stroke="{s.color}" stroke-width="2"><title>{escape(tip)}</title>'
                        "</path>")
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{axis_y}" y2="{axis_y}" '
                f'stroke="{MUTED}"/>')
    for k in range(0, n + 1, max(n // 4, 1)):
        x = left + k * bin_w
        anchor = "start" if k == 0 else "end" if k == n else "middle"
        # Edges a float error away from zero read as 0, not 4.2e-07.
        edge = 0.0 if abs(edges[k]) < span * 1e-4 else edges[k]
        body.append(_text(x, axis_y + 14, fmt.value(edge), anchor=anchor, cls="tick"))
    for i, q in enumerate(spreads):
        y = axis_y + 28 + i * strip_h
        if None in (q.p05, q.p25, q.p50, q.p75, q.p95):
            continue
        tip = (f"{q.name}: 5% {fmt.value(q.p05)} · 25% {fmt.value(q.p25)} · median "
               f"{fmt.value(q.p50)} · 75% {fmt.value(q.p75)} · 95% {fmt.value(q.p95)}")
        body.append(
            f'<g><title>{escape(tip)}</title>'
            f'<line x1="{x_at(q.p05):.1f}" x2="{x_at(q.p95):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{q.color}" stroke-width="1.5"/>'
            f'<rect x="{x_at(q.p25):.1f}" y="{y - 5:.1f}" '
            f'width="{max(x_at(q.p75) - x_at(q.p25), 1.5):.1f}" height="10" fill="{q.color}" '
            f'fill-opacity="0.35" stroke="{q.color}"/>'
            f'<line x1="{x_at(q.p50):.1f}" x2="{x_at(q.p50):.1f}" y1="{y - 6:.1f}" '
            f'y2="{y + 6:.1f}" stroke="{INK}" stroke-width="2"/></g>')
        body.append(_text(left - 5, y + 4, q.name, anchor="end", cls="tick"))
    return _svg(width, height, "".join(body), title, "histogram")


def _nice_ceiling(x: float) -> float:
    """The next of 1, 2, 2.5, 5 × 10^k at or above ``x`` (a readable axis maximum)."""
    if x <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * base >= x * 0.999:
            return m * base
    return 10 * base


def lines(labels: Sequence[str], series: Sequence[Series], title: str,
          number: Callable[[float], str] = fmt.compact) -> str:
    """A small line chart over runs (x: run, in order, y from 0), one line per series."""
    width, left, right, top, plot_h = 340.0, 46.0, 14.0, 26.0, 96.0
    plot_w = width - left - right
    height = top + plot_h + 22 + (14 if len(series) > 1 else 0)
    values = [v for s in series for v in s.values if v is not None]
    lo, hi = 0.0, _nice_ceiling(max(values, default=1.0))
    n = len(labels)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        return x, top + plot_h - (v - lo) / (hi - lo) * plot_h

    body = [_text(0, 14, title, cls="chart-title")]
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h - frac * plot_h
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}"/>')
        body.append(_text(left - 5, y + 4, number(lo + frac * (hi - lo)), anchor="end",
                          cls="tick"))
    for s in series:
        points = [(i, v) for i, v in enumerate(s.values) if v is not None]
        if len(points) > 1:
            d = " ".join(f"{'M' if k == 0 else 'L'}{xy(i, v)[0]:.1f},{xy(i, v)[1]:.1f}"
                         for k, (i, v) in enumerate(points))
            body.append(f'<path d="{d}" fill="none" stroke="{s.color}" stroke-width="2"/>')
        for i, v in points:
            x, y = xy(i, v)
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{s.color}">'
                        f"<title>{escape(f'{labels[i]} · {s.name}: {number(v)}')}</title>"
                        "</circle>")
    body.append(_text(left, top + plot_h + 14, labels[0], cls="tick"))
    if n > 1:
        body.append(_text(width - right, top + plot_h + 14, labels[-1], anchor="end",
                          cls="tick"))
    if len(series) > 1:
        x = left
        for s in series:
            body.append(f'<rect x="{x:.1f}" y="{height - 11:.1f}" width="10" height="3" '
                        f'fill="{s.color}"/>')
            body.append(_text(x + 14, height - 6, s.name, cls="tick"))
            x += 24 + _text_width(s.name, 11)
    return _svg(width, height, "".join(body), title, "trend")


def columns(labels: Sequence[str], values: Sequence[float], title: str, color: str = KEPT,
            unit: str = "") -> str:
    """Vertical bars (e.g. clusters per duplicate-cluster size); log scale when the values
    span more than two orders of magnitude, as cluster-size counts usually do."""
    width, left, right, top, plot_h = 640.0, 48.0, 10.0, 26.0, 150.0
    plot_w = width - left - right
    height = top + plot_h + 34
    positive = [v for v in values if v > 0]
    hi = max(positive, default=1.0)
    log = bool(positive) and hi / min(positive) > 100
    top_value = 10 ** math.ceil(math.log10(hi)) if log else _nice_ceiling(hi)

    def scaled(v: float) -> float:
        if v <= 0:
            return 0.0
        return (math.log10(v) + 1) / (math.log10(top_value) + 1) if log else v / top_value

    body = [_text(0, 14, title + (" (log scale)" if log else ""), cls="chart-title")]
    ticks = ([10 ** k for k in range(0, int(math.log10(top_value)) + 1)] if log
             else [top_value * k / 4 for k in range(5)])
    for t in ticks:
        y = top + plot_h - scaled(t) * plot_h
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}"/>')
        body.append(_text(left - 5, y + 4, fmt.compact(t), anchor="end", cls="tick"))
    n = max(len(values), 1)
    slot = plot_w / n
    every = max(1, math.ceil(n / 16))
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        h = scaled(v) * plot_h
        x = left + i * slot
        body.append(_rect(x + slot * 0.12, top + plot_h - h, slot * 0.76, h, color,
                          f"{label}: {fmt.count(v)}{unit}"))
        if i % every == 0:
            body.append(_text(x + slot / 2, top + plot_h + 14, label, anchor="middle",
                              cls="tick"))
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
                f'y2="{top + plot_h}" stroke="{MUTED}"/>')
    return _svg(width, height, "".join(body), title, "columns")
