"""Names that become path segments: run ids, compaction ids, stats tables, index names."""

from __future__ import annotations

import re

from winnow.errors import WinnowError

#: One path segment, never special: 1–128 characters of ASCII letters, digits, ``.``,
#: ``_`` and ``-``, starting with a letter or digit.
NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_name(value: str, what: str) -> str:
    """Return ``value`` if it is safe as one path segment, else raise a one-line error.

    The rule is ``^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$``: 1 to 128 ASCII letters, digits,
    dots, underscores and hyphens, the first a letter or digit. So ``.`` and ``..``
    (no leading dot), ``/`` and ``\\`` (no separators), spaces, ``=`` (Hive partition
    syntax), ``:`` (URI schemes), the empty string and names Spark and Hadoop treat
    as hidden (leading ``_`` or ``.``) are all refused; e.g. ``2026-12-02``,
    ``day1`` and ``20261202T010000Z-ab12cd`` are accepted.
    """
    if not isinstance(value, str) or not NAME_RULE.fullmatch(value):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise WinnowError(
            f"{what} {shown}: not a safe name (1-128 characters of A-Z a-z 0-9 . _ -, "
            "starting with a letter or digit)")
    return value
