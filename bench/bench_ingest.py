"""Benchmark: generate a demo and ingest all its months with every check; print the figures.

Usage::

    uv run --frozen python bench/bench_ingest.py [--size default] [--via-dagster] [--keep]

Each phase runs in its own process, so its peak memory (max RSS, read with ``os.wait4``) and
wall time are its own: ``generate`` writes the demo into a temporary home; ``ingest`` loads
every extract month of every entity, with the GX suites, the warehouse checks and the
atomic writes (``ingestion.ingest``, or ``ingest_job`` over the whole partition range with
``--via-dagster``). The goal for the ``default`` demo is at most 30 s and 2 GB together.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 30.0
GOAL_MB = 2048.0


def _generate(home: str, size: str) -> dict[str, object]:
    from demodata import generate

    started = time.perf_counter()
    summary = generate(home, size=size, seed=7, end_month="2026-10")
    return {"seconds": time.perf_counter() - started, "rows": summary.total_rows}


def _ingest(home: str, via_dagster: bool) -> dict[str, object]:
    started = time.perf_counter()
    import great_expectations  # noqa: F401

    gx_import = time.perf_counter() - started
    from expectations.validation import context_setup_seconds
    from ingestion.load import ingest
    from salesplan.home import resolve_home

    layout = resolve_home(home)
    months = sorted(folder.name for folder in layout.extracts.iterdir() if folder.is_dir())
    gx_context = context_setup_seconds()
    loaded = time.perf_counter()
    if via_dagster:
        entities = _ingest_with_dagster(home, months)
    else:
        entities = [
            {
                "entity": load.entity,
                "rows": load.rows_read,
                "loaded": load.rows_loaded,
                "quarantined": load.rows_quarantined,
                "files": len(load.files),
                "seconds": dict(load.seconds),
            }
            for load in ingest(layout, months)
        ]
    return {
        "seconds": time.perf_counter() - started,
        "load_seconds": time.perf_counter() - loaded,
        "gx_import_seconds": gx_import,
        "gx_context_seconds": gx_context,
        "months": months,
        "entities": entities,
    }


def _ingest_with_dagster(home: str, months: list[str]) -> list[dict[str, object]]:
    import dagster as dg

    from pipelines.defs.ingest.assets import INGEST_ASSETS
    from pipelines.defs.ingest.jobs import ingest_job
    from pipelines.defs.resources import HomeResource, WarehouseResource
    from pipelines.partitions import partition_key_for
    from salesplan.months import add_months, format_month, parse_month

    def as_of(month: str) -> str:
        return partition_key_for(format_month(add_months(parse_month(month), 1)))

    definitions = dg.Definitions(
        assets=INGEST_ASSETS,
        jobs=[ingest_job],
        resources={"home": HomeResource(root=home), "warehouse": WarehouseResource(root=home)},
    )
    result = definitions.resolve_job_def("ingest_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": as_of(months[0]),
            "dagster/asset_partition_range_end": as_of(months[-1]),
        },
    )
    if not result.success:
        raise SystemExit("ingest_job failed")
    entities = []
    for asset in INGEST_ASSETS:
        name = asset.key.path[0]
        metadata = result.asset_materializations_for_node(name)[0].metadata
        entities.append(
            {
                "entity": name,
                "rows": metadata["rows_read"].value,
                "loaded": metadata["dagster/row_count"].value,
                "quarantined": metadata["rows_quarantined"].value,
                "files": len(metadata["sha256"].value),
                "seconds": metadata["seconds"].value,
            }
        )
    return entities


def _run_phase(phase: str, home: str, options: list[str]) -> tuple[dict[str, object], float, float]:
    """Run one phase in a child process; return its result, peak RSS (MB) and CPU seconds."""
    output = Path(home).with_suffix(f".{phase}.json")
    command = [sys.executable, __file__, "--phase", phase, "--home", home, "--out", str(output)]
    child = subprocess.Popen([*command, *options])
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"phase {phase} failed")
    result = json.loads(output.read_text(encoding="utf-8"))
    output.unlink()
    # Linux reports max RSS in KiB. CPU time (user + system) is what the phase would take
    # alone on one core; wall time also counts waiting for a CPU other processes hold.
    return result, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sizes = ("small", "default", "large", "xlarge")
    parser.add_argument("--size", default="default", choices=sizes)
    parser.add_argument("--via-dagster", action="store_true", help="ingest through ingest_job")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    parser.add_argument("--phase", choices=("generate", "ingest"), help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        result = (
            _generate(args.home, args.size)
            if args.phase == "generate"
            else _ingest(args.home, args.via_dagster)
        )
        Path(args.out).write_text(json.dumps(result), encoding="utf-8")
        return

    root = tempfile.mkdtemp(prefix="bench_ingest_")
    home = str(Path(root) / "home")
    try:
        print(f"bench_ingest: size={args.size}, home={home}, cpus={os.cpu_count()}", flush=True)
        load = os.getloadavg()[0]
        generated, generate_mb, generate_cpu = _run_phase("generate", home, ["--size", args.size])
        options = ["--via-dagster"] if args.via_dagster else []
        ingested, ingest_mb, ingest_cpu = _run_phase("ingest", home, options)
        generated["cpu"], ingested["cpu"] = generate_cpu, ingest_cpu
        _report(args, generated, generate_mb, ingested, ingest_mb)
        print(
            f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after "
            f"({os.cpu_count()} CPUs): wall times are provisional when it exceeds the CPUs"
        )
    finally:
        if args.keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _report(
    args: argparse.Namespace,
    generated: dict[str, object],
    generate_mb: float,
    ingested: dict[str, object],
    ingest_mb: float,
) -> None:
    entities: list[dict[str, object]] = ingested["entities"]  # type: ignore[assignment]
    rows = sum(int(e["rows"]) for e in entities)  # type: ignore[arg-type]
    quarantined = sum(int(e["quarantined"]) for e in entities)  # type: ignore[arg-type]
    gen_s, ing_s = float(generated["seconds"]), float(ingested["seconds"])  # type: ignore[arg-type]
    total_s, peak_mb = gen_s + ing_s, max(generate_mb, ingest_mb)
    months: list[str] = ingested["months"]  # type: ignore[assignment]
    path = "ingest_job (Dagster, in process)" if args.via_dagster else "ingestion.ingest"
    print(f"\nextract months {months[0]}..{months[-1]} ({len(months)}), via {path}")
    gen_cpu, ing_cpu = float(generated["cpu"]), float(ingested["cpu"])  # type: ignore[arg-type]
    print(f"{'phase':<10}{'wall s':>10}{'cpu s':>10}{'peak MB':>10}")
    print(f"{'generate':<10}{gen_s:>10.1f}{gen_cpu:>10.1f}{generate_mb:>10.0f}")
    print(f"{'ingest':<10}{ing_s:>10.1f}{ing_cpu:>10.1f}{ingest_mb:>10.0f}")
    print(f"{'total':<10}{total_s:>10.1f}{gen_cpu + ing_cpu:>10.1f}{peak_mb:>10.0f}")
    verdict = "met" if total_s <= GOAL_SECONDS and peak_mb <= GOAL_MB else "NOT met"
    print(f"goal <= {GOAL_SECONDS:.0f} s and <= {GOAL_MB:.0f} MB: {verdict}")
    print(
        f"rows ingested {rows:,} ({quarantined:,} quarantined): "
        f"{rows / ing_s:,.0f} rows/s over the ingest phase, "
        f"{rows / float(ingested['load_seconds']):,.0f} rows/s excluding imports"  # type: ignore[arg-type]
    )
    print(
        f"GX: import {float(ingested['gx_import_seconds']):.1f} s, "  # type: ignore[arg-type]
        f"ephemeral context {float(ingested['gx_context_seconds']):.2f} s (once per process)"  # type: ignore[arg-type]
    )
    steps: dict[str, float] = {}
    for entity in entities:
        for step, seconds in entity["seconds"].items():  # type: ignore[union-attr]
            steps[step] = steps.get(step, 0.0) + float(seconds)
    print("time by step: " + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(steps.items())))
    print("slowest entities:")
    ranked = sorted(entities, key=lambda e: -sum(e["seconds"].values()))  # type: ignore[union-attr]
    for entity in ranked[:6]:
        seconds = entity["seconds"]
        parts = ", ".join(f"{k} {float(v):.1f}" for k, v in seconds.items())  # type: ignore[union-attr]
        print(
            f"  {entity['entity']:<28}{int(entity['rows']):>10,} rows "  # type: ignore[arg-type]
            f"{sum(seconds.values()):>6.1f} s ({parts})"  # type: ignore[union-attr]
        )


if __name__ == "__main__":
    main()
