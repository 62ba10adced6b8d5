"""How fast is offerlang? `offer check` against check-jsonschema, and in-process compile times.

    pip install -e '.[bench]'
    python bench/bench_check.py [--runs 21] [--example examples/spring-promotion.offer]

1. Runs `offer check EXAMPLE` and `check-jsonschema --schemafile <our schema> PAYLOAD` (PAYLOAD is
   EXAMPLE compiled) alternately, --runs times each, as real subprocesses, and prints both
   medians of the wall time and the median of the per-round ratios. Alternating keeps a busy
   machine from favouring one side. Aim: ratio <= 0.5.
2. Compiles every example in this process (the parser is built once, before timing) and prints
   the median time per offer. Aim: a typical offer under 5 ms.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "offerlang" / "schemas" / "sessions-v1.request.schema.json"


def _tool(name: str) -> str:
    """The console script installed beside this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"bench: `{name}` is not installed; run: pip install -e '.[bench]'")
    return found


def _wall(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench: {shlex.join(cmd)} exited {done.returncode}:\n{done.stderr.decode()}")
    return elapsed


def precompile_offerlang() -> None:
    """Write the bytecode of the offerlang package being measured, as installing a wheel does.
    An editable install under PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module
    from source in every run, and the bench would time the compiler instead of offerlang."""
    import compileall

    import offerlang

    compileall.compile_dir(Path(offerlang.__file__).parent, quiet=1)


def bench_check(example: Path, runs: int, offer_cmd: list[str]) -> None:
    from offerlang import compile_file, jsonout

    result = compile_file(example)
    if not result.ok:
        sys.exit(f"bench: {example} does not compile")
    with tempfile.TemporaryDirectory(prefix="offerlang-bench-") as tmp:
        payload = Path(tmp) / "payload.json"
        payload.write_text(jsonout.dumps(result.payload) + "\n", encoding="utf-8")
        ours = [*offer_cmd, "check", str(example)]
        theirs = [_tool("check-jsonschema"), "--schemafile", str(SCHEMA), str(payload)]
        # Cold: no user cache at all, so every run builds the parser and imports jsonschema
        # for the schema gate (a fresh CI machine). Warm: the steady state on a laptop, where
        # the parser and the gate's verdict on this payload come from the user's cache.
        cold_env = {**os.environ, "OFFERLANG_NO_CACHE": "1"}
        # One untimed run each: fills the OS file cache (and offerlang's user cache).
        _wall(ours)
        _wall(theirs)
        warm_s, cold_s, theirs_s = [], [], []
        for _ in range(runs):
            warm_s.append(_wall(ours))
            theirs_s.append(_wall(theirs))
            cold_s.append(_wall(ours, cold_env))
    print(f"offer check vs check-jsonschema on {example.relative_to(ROOT)} ({runs} alternating runs)")
    print(f"  check-jsonschema         median {statistics.median(theirs_s) * 1000:7.1f} ms")
    for label, times in (("offer check, warm cache", warm_s), ("offer check, no cache", cold_s)):
        ratios = [a / b for a, b in zip(times, theirs_s, strict=True)]
        print(
            f"  {label:<24} median {statistics.median(times) * 1000:7.1f} ms"
            f"   median ratio {statistics.median(ratios):.2f}  (aim: <= 0.50)"
        )


def bench_compile(repeat: int) -> None:
    from offerlang import compile_source
    from offerlang.compiler.parser import lark_parser

    lark_parser()  # built (or loaded) once, as in any long-running process
    examples = sorted(ROOT.glob("examples/**/*.offer"))
    print(f"\nin-process compile (median of {repeat}, parse + checks + emit + schema gate)")
    medians = []
    for path in examples:
        text = path.read_text("utf-8")
        compile_source(text, str(path))  # first call pays for lazy imports (jsonschema)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            compile_source(text, str(path))
            times.append(time.perf_counter() - start)
        medians.append(statistics.median(times))
        print(f"  {statistics.median(times) * 1000:6.2f} ms  {path.relative_to(ROOT)}")
    print(f"  median over examples {statistics.median(medians) * 1000:.2f} ms  (aim: < 5 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=21, help="subprocess runs of each tool (default 21)")
    parser.add_argument("--repeat", type=int, default=50, help="in-process compiles per example (default 50)")
    parser.add_argument(
        "--example", type=Path, default=ROOT / "examples" / "spring-promotion.offer", help="offer to check"
    )
    parser.add_argument(
        "--offer-command",
        default=None,
        help="how to run offer (default: the `offer` installed beside this Python)",
    )
    args = parser.parse_args()
    offer_cmd = shlex.split(args.offer_command) if args.offer_command else [_tool("offer")]
    if not args.offer_command:
        precompile_offerlang()
    bench_check(args.example.resolve(), args.runs, offer_cmd)
    bench_compile(args.repeat)


if __name__ == "__main__":
    main()
