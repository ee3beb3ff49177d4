"""Input: list files on the driver, read each one on an executor into document rows.

``reader`` holds the contract (``Reader``, ``REGISTRY``, ``register``, ``format_for``),
``rows`` the row builder every reader shares, ``compression`` gzip and zstd told by
magic bytes; one module per format (``jsonl``, ``parquet``); ``listing`` expands
``--input`` paths into files; ``source`` reads them in Spark, one task per file.

A new format is one new module in this package: importing ``winnow.io`` (or any of
its modules) imports them all, so every ``@register`` has run wherever formats are
resolved.
"""

from importlib import import_module
from pkgutil import iter_modules


def _import_modules() -> None:
    """Import every module of this package so their ``@register`` runs."""
    for module in iter_modules(__path__):
        import_module(f"{__name__}.{module.name}")


_import_modules()
