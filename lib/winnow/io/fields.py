"""Nested input fields: ``input.fields.url: metadata.url`` maps a field inside an object
(JSONL) or a struct column (Parquet, read as nested dicts).

A dotted name is first looked up as a top-level key (a field literally called
``metadata.url`` wins), then as a path. The record keeps the enclosing object in its
``metadata``: mapping a nested field loses nothing.

``sample_check`` reads the first records of the first input on the driver, before Spark
starts, and warns once when a mapped field is absent from most of them, naming the
nested path that holds a field of that name if there is one (the Common Crawl sample
keeps its URL in ``metadata.url``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

#: Records read from the first input by ``sample_check``.
SAMPLE_RECORDS = 1000
#: A mapped field absent from more than this share of the sample gets a warning.
MOSTLY_MISSING = 0.5
_ABSENT = object()


def nested_roles(fields: dict[str, str]) -> dict[str, str]:
    """The roles mapped to a dotted name: the only ones ``lift`` has work for."""
    return {role: name for role, name in fields.items() if "." in name}


def lookup(record: dict[str, Any], path: str) -> Any:
    """The value at ``path`` (``a.b.c``) in nested dicts, or ``_ABSENT``."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _ABSENT
        value = value[part]
    return value


def lift(record: Any, nested: dict[str, str]) -> Any:
    """``record`` with each dotted name of ``nested`` found by path set at the top level
    (under the dotted name, which is what ``rows.document`` looks up)."""
    if not nested or not isinstance(record, dict):
        return record
    found = {}
    for name in nested.values():
        if name not in record:
            value = lookup(record, name)
            if value is not _ABSENT:
                found[name] = value
    return {**record, **found} if found else record


def _paths(value: Any, prefix: str = "", depth: int = 0) -> Iterable[str]:
    if isinstance(value, dict) and depth < 8:
        for k, v in value.items():
            path = f"{prefix}{k}"
            yield path
            yield from _paths(v, path + ".", depth + 1)


def sample_check(files: list, fields: dict[str, str], limit: int = SAMPLE_RECORDS,
                 explicit: Iterable[str] = ("url", "id")) -> list[str]:
    """Warnings (one per mostly-missing mapped field, url and id) from the first
    ``limit`` documents of the first input file; empty when all is well. A role left at
    its default mapping (not in ``explicit``) warns only when the records hold a nested
    field of that name: a corpus without URLs at all is no mistake."""
    explicit = set(explicit)
    from winnow.io.reader import REGISTRY

    if not files:
        return []
    first = files[0]
    reader = REGISTRY.get(first.format)
    if reader is None:
        return []
    seen = 0
    missing: Counter[str] = Counter()
    candidates: dict[str, Counter[str]] = {"url": Counter(), "id": Counter()}
    try:
        for batch in reader.read(first.path, fields):
            cols = batch.to_pydict()
            for i in range(batch.num_rows):
                if cols["reason"][i] is not None:
                    continue  # quarantined: counted elsewhere
                seen += 1
                meta = cols["metadata"][i]
                record = json.loads(meta) if meta else {}
                if cols["url"][i] is None:
                    missing["url"] += 1
                    _note(candidates["url"], record, "url")
                if _id_missing(cols, i):
                    missing["id"] += 1
                    _note(candidates["id"], record, "id")
                if seen >= limit:
                    break
            if seen >= limit:
                break
    except Exception:  # noqa: BLE001 (a hint only: the run reports the file properly)
        return []
    warnings = []
    for role in ("url", "id"):
        if seen and missing[role] > MOSTLY_MISSING * seen and (
                role in explicit or candidates[role]):
            hint = ""
            if candidates[role]:
                path, _ = candidates[role].most_common(1)[0]
                hint = f"; the records have {path!r}: set input.fields.{role}: {path}"
            warnings.append(f"input.fields.{role}: {fields[role]!r} is missing from "
                            f"{missing[role]:,} of the first {seen:,} records of "
                            f"{first.path}{hint}")
    return warnings


def _id_missing(cols: dict, i: int) -> bool:
    """The document got the hash id of its file and position: it had no mapped id."""
    from winnow.io.rows import document_id

    return cols["id"][i] == document_id(cols["source"][i], cols["position"][i])


def _note(counter: Counter[str], record: dict[str, Any], leaf: str) -> None:
    for path in _paths(record):
        if "." in path and path.rsplit(".", 1)[1] == leaf:
            counter[path] += 1
