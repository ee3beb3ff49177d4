"""Output sinks: how the parts of a run (DataFrames) are written and read back.

``base`` holds the contract (``Sink``, ``REGISTRY``, ``register``, ``sink``); one
module per format (``parquet``). The job writes every part of a run through a sink:
the document parts (kept, removed, quarantine), the statistics tables, and in
nightly mode the index and ledger partitions of the state.

A new sink is one new module in this package: importing ``winnow.sinks`` (or any of
its modules) imports them all, so every ``@register`` has run wherever sinks are
looked up.
"""

from importlib import import_module
from pkgutil import iter_modules


def _import_modules() -> None:
    """Import every module of this package so their ``@register`` runs."""
    for module in iter_modules(__path__):
        import_module(f"{__name__}.{module.name}")


_import_modules()
