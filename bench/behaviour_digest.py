"""Digest of everything a run decides, to show that a refactor changed no behaviour.

    python bench/behaviour_digest.py --out DIGEST.json [--work DIR]
    python bench/behaviour_digest.py --compare BEFORE.json AFTER.json

Runs ``conf/recipes/full_pipeline.yaml`` over the shared C4 and Common Crawl samples
(one-shot), and two nightly days of ``conf/recipes/minhash.yaml`` (day 1: C4; day 2:
C4 again plus Common Crawl), then hashes the kept ids, every removed and quarantined
row's id, reason, stage, ``duplicate_of`` and cluster, every statistics table
(without run ids and timings), and the nightly ledger and indexes. Run it at two
commits and compare: equal digests mean the same decisions, statistics and state.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.dataset as ds

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "web"
C4 = SHARED / "c4-en-sample-1000.jsonl.gz"
CC = SHARED / "cc-2019-30-multilingual-697.jsonl.gz"
#: Columns that differ between two runs of the same decisions.
VOLATILE = {"run_id", "wall_seconds", "cpu_seconds", "started_at", "finished_at",
            "stage_wall_seconds", "stage_cpu_seconds", "config_path", "winnow_version"}
DECISION_COLUMNS = ("id", "reason", "stage", "duplicate_of", "dup_cluster", "dup_cluster_size",
                    "text", "position", "source")


def _winnow(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "winnow.cli", *args, "--master", "local[2]",
                    "--quiet"], check=True, stdout=subprocess.DEVNULL)


def _rows(path: Path, columns: tuple[str, ...] | None = None) -> list[dict]:
    table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
    names = [c for c in table.column_names if c not in VOLATILE
             and (columns is None or c in columns)]
    return table.select(names).to_pylist()


def _digest(rows: list[dict]) -> str:
    lines = sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16] + f" ({len(rows)} rows)"


def _output_digests(out: Path, prefix: str) -> dict[str, str]:
    found = {}
    for part in ("kept", "removed", "quarantine"):
        for path in sorted(out.glob(f"**/{part}")):
            found[f"{prefix}{path.relative_to(out)}"] = _digest(_rows(path, DECISION_COLUMNS))
    for table in sorted(p for p in (out / "stats").glob("*") if p.name != "run"):
        found[f"{prefix}stats/{table.name}"] = _digest(_rows(table))
    return found


def _recipe(work: Path, drop: list[str]) -> Path:
    """``full_pipeline.yaml``, less the stages named in ``drop`` (to compare a commit
    that added a stage to the recipe with one before it)."""
    recipe = ROOT / "conf" / "recipes" / "full_pipeline.yaml"
    if not drop:
        return recipe
    import yaml
    cfg = yaml.safe_load(recipe.read_text())
    cfg["stages"] = [s for s in cfg["stages"] if s["stage"] not in drop]
    out = work / "full_pipeline.yaml"
    out.write_text(yaml.safe_dump(cfg))
    return out


def collect(work: Path, drop: list[str] | None = None) -> dict[str, str]:
    """Run both scenarios under ``work`` and return name -> digest."""
    conf = ROOT / "conf" / "recipes"
    work.mkdir(parents=True, exist_ok=True)
    _winnow("run", "--config", str(_recipe(work, drop or [])), "--input", str(C4), str(CC),
            "--output", str(work / "oneshot"), "--run-id", "digest")
    state = work / "state"
    _winnow("run", "--config", str(conf / "minhash.yaml"), "--input", str(C4),
            "--output", str(work / "nightly"), "--state", str(state), "--run-id", "day1")
    _winnow("run", "--config", str(conf / "minhash.yaml"), "--input", str(C4), str(CC),
            "--output", str(work / "nightly"), "--state", str(state), "--run-id", "day2")
    digests = _output_digests(work / "oneshot", "oneshot/")
    digests.update(_output_digests(work / "nightly", "nightly/"))
    for table in ("ledger", "index/exact", "index/minhash"):
        rows = _rows(state / table)
        for r in rows:
            r.pop("mtime", None)
        digests[f"state/{table}"] = _digest(rows)
    return digests


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write the digest here (JSON)")
    ap.add_argument("--work", help="directory for the runs (default: a temporary one)")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    ap.add_argument("--drop-stage", action="append", default=[], metavar="STAGE",
                    help="leave this stage out of full_pipeline.yaml (repeatable)")
    args = ap.parse_args()
    if args.compare:
        before, after = (json.loads(Path(p).read_text()) for p in args.compare)
        differ = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        for k in differ:
            print(f"DIFFERS {k}: {before.get(k)} -> {after.get(k)}")
        print(f"{len(before.keys() | after.keys()) - len(differ)} equal, {len(differ)} differ")
        sys.exit(1 if differ else 0)
    with tempfile.TemporaryDirectory() as tmp:
        digests = collect(Path(args.work or tmp), args.drop_stage)
    text = json.dumps(digests, indent=1, sort_keys=True)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
