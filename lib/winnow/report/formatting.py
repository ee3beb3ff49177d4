"""How the report writes numbers: counts with separators, shares, signal values, sizes."""

from __future__ import annotations

import math


def count(n: int | float | None) -> str:
    """``1,234,567``; an em dash for a missing value."""
    return "—" if n is None else f"{n:,.0f}"


def compact(n: float | None) -> str:
    """Short axis labels: ``950``, ``12k``, ``3.4M``, ``1.2G``."""
    if n is None:
        return "—"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= limit:
            v = n / limit
            digits = f"{v:.1f}".rstrip("0").rstrip(".") if abs(v) < 10 else f"{v:.0f}"
            return digits + suffix
    return f"{n:.0f}" if float(n).is_integer() else value(n)


def percent(part: float | None, whole: float | None) -> str:
    """``12.3%`` of ``whole``; keeps small non-zero shares visible (``<0.1%``)."""
    if part is None or not whole:
        return "—"
    share = 100.0 * part / whole
    if 0 < share < 0.1:
        return "<0.1%"
    return f"{share:.1f}%"


def value(x: float | None) -> str:
    """A signal value with about three significant digits (``0.0123``, ``3.14``, ``2,048``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if x == 0 or float(x).is_integer():
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def short(x: float | None) -> str:
    """A table cell for a signal value, at most about seven characters wide: ``127k``,
    ``10,334``, ``0.956``, ``0.0015``, ``7.9e-4``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if abs(x) >= 100_000:
        return compact(x)
    if 0 < abs(x) < 0.001:
        mantissa, exponent = f"{x:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    if 0 < abs(x) < 0.1:
        return f"{x:.2g}"
    return value(x)


def seconds(s: float | None) -> str:
    """``0.4 s``, ``12 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if s is None:
        return "—"
    if s < 10:
        return f"{s:.1f} s"
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"
