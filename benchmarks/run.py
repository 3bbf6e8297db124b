"""Benchmark httpx-sse against httpx-sse 0.4.3, measured in the same run.

Each measurement runs in its own process (two packages named ``httpx_sse`` cannot share
one), alternating ours and the baseline (A B A B ...), and keeps each side's best time.
httpx-sse 0.4.3 is installed into its own virtual environment under
``benchmarks/.envs/`` on first use, with the same httpx version as ours.

    python benchmarks/run.py                  # everything, with the comparison
    python benchmarks/run.py --no-baseline    # our figures alone
    python benchmarks/run.py --quick          # fewer rounds, for a first look

Prints markdown tables; ``--docs`` also writes them into docs/performance.md between the
benchmark markers, and ``--chart`` draws ``docs/benchmarks.png`` (needs matplotlib,
which it installs into its own environment under ``benchmarks/.envs/``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from shapes import SHAPES  # beside this file, which Python puts first on sys.path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ENVS = HERE / ".envs"
WORKER = HERE / "worker.py"
BASELINE_VERSION = "0.4.3"
# Beside the performance page, which the docs site serves with it.
CHART_URL = "benchmarks.png"
WORKLOADS = ["tokens", "crlf", "fields", "multiline", "big"]
CHUNK_SIZES = [64, 4096, 65536]


def env_python(name: str, packages: List[str]) -> str:
    """A virtual environment of our own under benchmarks/.envs, made once."""
    path = ENVS / name
    python = path / "bin" / "python"
    marker = path / ".installed"
    if not marker.exists() or marker.read_text() != " ".join(packages):
        print(f"# preparing {path.relative_to(ROOT)}: {' '.join(packages)}", file=sys.stderr)
        venv.create(path, with_pip=True, clear=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True)
        marker.write_text(" ".join(packages))
    return str(python)


# Contenders that are ours with an environment of their own: the pure-Python build.
ENVIRONMENTS: Dict[str, Dict[str, str]] = {
    "ours (pure)": {"HTTPX_SSE_NO_EXTENSIONS": "1"},
    "httpx2 client.sse()": {"HTTPX_SSE_BENCH_READER": "httpx2"},
}


def work(python: str, *args: str, env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    environment = {**os.environ, **(env or {})}
    output = subprocess.run(
        [python, str(WORKER), *args], capture_output=True, text=True, check=True, env=environment
    ).stdout
    result: Dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def best_of(contenders: Dict[str, str], rounds: int, *args: str) -> Dict[str, Dict[str, Any]]:
    """Alternate the contenders round by round; keep each one's fastest run."""
    best: Dict[str, Dict[str, Any]] = {}
    for _ in range(rounds):
        for name, python in contenders.items():
            result = work(python, *args, env=ENVIRONMENTS.get(name))
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    return best


def fmt_rate(result: Dict[str, Any]) -> str:
    mbps = result["bytes"] / result["seconds"] / 1e6
    eps = result["events"] / result["seconds"]
    return f"{mbps:,.0f} MB/s, {eps / 1e3:,.0f}k ev/s" if eps >= 1000 else f"{mbps:,.0f} MB/s, {eps:,.0f} ev/s"


def throughput_table(
    contenders: Dict[str, str], rounds: int, workloads: List[str]
) -> Tuple[str, List[Tuple[str, int, float]]]:
    compare = "0.4.3" in contenders
    header = "| workload | chunk | ours | httpx-sse 0.4.3 | speed-up |" if compare else "| workload | chunk | ours |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    speedups = []
    for workload in workloads:
        for chunk in CHUNK_SIZES:
            best = best_of(contenders, rounds, "throughput", workload, str(chunk), "--repeat", "2")
            ours = best["ours"]
            row = f"| {workload} | {chunk:,} B | {fmt_rate(ours)} |"
            if compare:
                base = best["0.4.3"]
                assert base["events"] == ours["events"], (workload, chunk, base["events"], ours["events"])
                ratio = base["seconds"] / ours["seconds"]
                row += f" {fmt_rate(base)} | **{ratio:.2f}x** |"
                speedups.append((workload, chunk, ratio))
            lines.append(row)
            print(row, file=sys.stderr, flush=True)
    return "\n".join(lines), speedups


def async_table(python: str, rounds: int) -> str:
    lines = [
        "| workload (4 KiB chunks) | sync | async (asyncio) | async / sync time |",
        "|---|---|---|---|",
    ]
    for workload in ["tokens", "fields"]:
        sync = best_of({"ours": python}, rounds, "throughput", workload, "4096", "--repeat", "2")["ours"]
        asyn = best_of({"ours": python}, rounds, "throughput", workload, "4096", "--repeat", "2", "--mode", "async")[
            "ours"
        ]
        ratio = asyn["seconds"] / sync["seconds"]
        lines.append(f"| {workload} | {fmt_rate(sync)} | {fmt_rate(asyn)} | {ratio:.2f} |")
    return "\n".join(lines)


def httpx2_table(python: str, rounds: int) -> str:
    """Ours over an httpx2 response against httpx2's own EventSource (what client.sse() reads with)."""
    lines = [
        "| workload (4 KiB chunks) | ours over httpx2 | httpx2's `client.sse()` reader | speed-up |",
        "|---|---|---|---|",
    ]
    for workload in WORKLOADS:
        results = {}
        for _ in range(rounds):
            for reader in ("ours", "native"):
                result = work(python, "throughput", workload, "4096", "--repeat", "2", "--httpx2", reader)
                if reader not in results or result["seconds"] < results[reader]["seconds"]:
                    results[reader] = result
        ours, native = results["ours"], results["native"]
        note = "" if ours["events"] == native["events"] else f" (httpx2 gave {native['events']:,} events)"
        ratio = native["seconds"] / ours["seconds"]
        lines.append(f"| {workload} | {fmt_rate(ours)} | {fmt_rate(native)}{note} | **{ratio:.2f}x** |")
        print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


def linearity_table(python: str) -> str:
    lines = ["| one event of | chunks | decode time (best of 3) | time per MiB |", "|---|---|---|---|"]
    for size_mib, chunk in [(1, 1), (2, 1), (16, 64), (32, 64), (16, 4096), (32, 4096)]:
        runs = [work(python, "decoder", str(size_mib << 20), str(chunk)) for _ in range(3)]
        result = min(runs, key=lambda run: float(run["seconds"]))
        lines.append(
            f"| {size_mib} MiB | {chunk} B | {result['seconds']:.3f} s | {result['seconds'] / size_mib * 1000:.0f} ms |"
        )
    lines += [
        "",
        "| small events (tokens) | chunks | read time (best of 3) | time per 10k events |",
        "|---|---|---|---|",
    ]
    for events in (10_000, 20_000, 40_000):
        result = best_of({"ours": python}, 3, "throughput", "tokens", "1", "--repeat", "1", "--events", str(events))
        seconds = result["ours"]["seconds"]
        lines.append(f"| {events:,} | 1 B | {seconds:.3f} s | {seconds / events * 1e4 * 1000:.0f} ms |")
    return "\n".join(lines)


def memory_table(contenders: Dict[str, str]) -> str:
    lines = ["| stream | chunks | " + " | ".join(f"{name} peak" for name in contenders) + " |"]
    lines.append("|" + "---|" * (2 + len(contenders)))
    for workload, chunk, scale, label in [
        ("tokens", 4096, 1, "50k small events"),
        ("tokens", 4096, 4, "200k small events"),
        ("big", 65536, 1, "one event of 1 MiB"),
        ("big", 65536, 4, "one event of 4 MiB"),
        ("big", 64, 4, "one event of 4 MiB"),
    ]:
        cells = []
        for python in contenders.values():
            result = work(python, "memory", workload, str(chunk), str(scale))
            peak = result["peak"]
            if workload == "big":
                cells.append(f"{peak / 2**20:.1f} MiB ({peak / (scale << 20):.2f}x the event)")
            else:
                cells.append(f"{peak / 1024:.0f} KiB")
        lines.append(f"| {label} | {chunk:,} B | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def shapes_table(contenders: Dict[str, str], rounds: int) -> str:
    """Every real-world shape, one chunk per event and 4 KiB chunks: each contender against 0.4.3."""
    names = [name for name in contenders if name != "0.4.3"]
    header = "| shape (source) | chunks | " + " | ".join(f"{name} vs 0.4.3" for name in names) + " |"
    lines = [header, "|" + "---|" * (len(names) + 2)]
    ratios: Dict[str, List[float]] = {name: [] for name in names}
    for shape, (source, _) in SHAPES.items():
        for chunk in (0, 4096):
            best = best_of(contenders, rounds, "shape", shape, str(chunk), "--repeat", "5")
            base = best["0.4.3"]["seconds"]
            cells = []
            for name in names:
                ratio = base / best[name]["seconds"]
                ratios[name].append(ratio)
                cells.append(f"{ratio:.2f}x")
            row = f"| {shape} ({source}) | {'per event' if chunk == 0 else '4 KiB'} | " + " | ".join(cells) + " |"
            lines.append(row)
            print(row, file=sys.stderr, flush=True)
    summary = " | ".join(f"median {statistics.median(ratios[n]):.2f}x, min {min(ratios[n]):.2f}x" for n in names)
    lines.append(f"| **all shapes** | | {summary} |")
    return "\n".join(lines)


def shapes_sections(ours: str, baseline: str, rounds: int, e2e_events: int) -> List[str]:
    """The real-world shapes, pure and compiled (and httpx2's reader) against 0.4.3; then end to end."""
    compiled = subprocess.run([ours, "-c", "import httpx_sse; print(httpx_sse.__compiled__)"], capture_output=True)
    contenders = {"ours (pure)": ours}
    if compiled.stdout.strip() == b"True":
        contenders["ours (compiled)"] = ours
    if subprocess.run([ours, "-c", "import httpx2"], capture_output=True).returncode == 0:
        contenders["httpx2 client.sse()"] = ours
    contenders["0.4.3"] = baseline
    sections = [
        "**Real-world shapes** (process CPU time through `EventSource(response).iter_sse()`; speed-up over 0.4.3, "
        "higher is better):",
        shapes_table(contenders, rounds),
    ]
    e2e_contenders = {name: python for name, python in contenders.items() if not name.startswith("httpx2")}
    for frame, label in ((0, "one HTTP chunk per event"), (4096, "4 KiB HTTP chunks")):
        table, _ = e2e_table(e2e_contenders, rounds, e2e_events, frame)
        sections += [f"**End to end**, {e2e_events:,} small events over loopback, {label}:", table]
    return sections


def e2e_table(contenders: Dict[str, str], rounds: int, count: int, frame: int = 0) -> Tuple[str, Optional[float]]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "e2e_server.py"), str(count), str(frame)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        best = best_of(contenders, rounds, "e2e", url)
    finally:
        server.kill()
        server.wait()
    lines = ["| contender | events/s over loopback |", "|---|---|"]
    for name, result in best.items():
        assert result["events"] == count, (name, result["events"])
        lines.append(f"| {name} | {result['events'] / result['seconds']:,.0f} |")
    ratio = None
    if "0.4.3" in best:
        for name in best:
            if name != "0.4.3":
                ratio = best["0.4.3"]["seconds"] / best[name]["seconds"]
                lines.append(f"| {name} over 0.4.3 | **{ratio:.2f}x** |")
    return "\n".join(lines), ratio


def draw_chart(speedups: List[Tuple[str, int, float]], path: Path) -> None:
    python = env_python("plot", ["matplotlib==3.9.2"])
    script = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows, path = json.loads(sys.argv[1]), sys.argv[2]
workloads = list(dict.fromkeys(r[0] for r in rows))
chunks = list(dict.fromkeys(r[1] for r in rows))
fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
width = 0.8 / len(chunks)
colours = ["#9ecae1", "#4292c6", "#08519c"]
for i, chunk in enumerate(chunks):
    xs = [w + (i - (len(chunks) - 1) / 2) * width for w in range(len(workloads))]
    ys = [next(r[2] for r in rows if r[0] == wl and r[1] == chunk) for wl in workloads]
    bars = ax.bar(xs, ys, width, label=f"{chunk:,} B chunks", color=colours[i % 3])
    for x, y in zip(xs, ys):
        ax.text(x, y + 0.03, f"{y:.2f}", ha="center", va="bottom", fontsize=6.5)
ax.axhline(1.0, color="black", linewidth=0.8)
ax.set_xticks(range(len(workloads)), workloads)
ax.set_ylabel("speed-up over httpx-sse 0.4.3 (higher is better)")
ax.set_title("httpx-sse decoding speed, same bytes, same run")
ax.set_ylim(0, max(r[2] for r in rows) * 1.12)
ax.legend(loc="upper left", fontsize=8, frameon=False)
ax.spines[["top", "right"]].set_visible(False)
fig.tight_layout()
fig.savefig(path)
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-c", script, json.dumps(speedups), str(path)], check=True)


def update_docs(report: str) -> None:
    """Write the report into the docs' performance page, between its benchmark markers."""
    readme = ROOT / "docs" / "performance.md"
    text = readme.read_text()
    start, end = "<!-- benchmark-table -->", "<!-- /benchmark-table -->"
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    readme.write_text(f"{before}{start}\n{report}\n{end}{after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-baseline", action="store_true", help="measure ours alone")
    parser.add_argument("--rounds", type=int, default=3, help="A B rounds per measurement (default 3)")
    parser.add_argument("--quick", action="store_true", help="one round, fewer end-to-end events")
    parser.add_argument("--e2e-events", type=int, default=100_000)
    parser.add_argument("--chart", action="store_true", help="draw docs/benchmarks.png")
    parser.add_argument("--docs", action="store_true", help="write the tables into docs/performance.md")
    parser.add_argument("--only", nargs="+", choices=WORKLOADS, help="just these decoding workloads, no other table")
    parser.add_argument("--shapes", action="store_true", help="just the real-world shapes and the e2e tables")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    e2e_events = 20_000 if args.quick else args.e2e_events

    ours = sys.executable
    probe = subprocess.run(
        [ours, "-c", "import httpx, httpx_sse; print(httpx.__version__, httpx_sse.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    httpx_version, our_version = probe.stdout.split()
    contenders = {"ours": ours}
    if not args.no_baseline:
        contenders["0.4.3"] = env_python(
            f"httpx-sse-{BASELINE_VERSION}", [f"httpx-sse=={BASELINE_VERSION}", f"httpx=={httpx_version}"]
        )

    started = time.monotonic()
    machine = (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, httpx {httpx_version}"
    )
    sections = [
        f"Measured by `python benchmarks/run.py` ({rounds} alternating rounds, best of each; {machine}; "
        f"httpx-sse {our_version} against {BASELINE_VERSION}).",
    ]
    if args.shapes:
        if "0.4.3" not in contenders:
            raise SystemExit("--shapes compares against 0.4.3: drop --no-baseline")
        print("\n\n".join([*sections, *shapes_sections(ours, contenders["0.4.3"], rounds, e2e_events)]))
        return
    table, speedups = throughput_table(contenders, rounds, args.only or WORKLOADS)
    sections += ["**Decoding** (an in-memory response read with `EventSource(response).iter_sse()`):", table]
    if args.only:
        print("\n\n".join(sections))
        return
    e2e, _ = e2e_table(contenders, rounds, e2e_events)
    sections += [f"**End to end**: {e2e_events:,} small events, one HTTP chunk each, from a loopback server:", e2e]
    sections += ["**Async** (`aiter_sse` on asyncio) against sync, ours:", async_table(ours, rounds)]
    if subprocess.run([ours, "-c", "import httpx2"], capture_output=True).returncode == 0:
        sections += ["**httpx2**: the same bytes in an `httpx2.Response`:", httpx2_table(ours, rounds)]
    sections += [
        "**Linear in the bytes read**, whatever the chunking (one long line: our decoder alone; small events: "
        "read through `iter_sse`, one byte per chunk):",
        linearity_table(ours),
    ]
    sections += ["**Peak memory** while reading (tracemalloc; input chunks excluded):", memory_table(contenders)]
    if args.chart and speedups:
        draw_chart(speedups, ROOT / "docs" / "benchmarks.png")
        sections.insert(1, f"![Speed-up over httpx-sse 0.4.3]({CHART_URL})")
    report = "\n\n".join(sections)
    print(report)
    print(f"\n(took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    if args.docs:
        update_docs(report)


if __name__ == "__main__":
    main()
