"""What a catalog costs `offer check`: the examples, with and without a 2,000-product catalog.

    python bench/bench_store.py [--runs 21] [--products 2000]

Writes a catalog of --products products to a temporary folder: every product the examples name
(priced and billed as the examples price and bill them, so the store checks find nothing to
report, as in a project whose offers are in order) and fillers up to the count. Then runs

    offer check --isolated EXAMPLES...                      (no catalog: today's check)
    offer check --isolated --catalog CATALOG EXAMPLES...    (the store checks on every offer)

alternately, --runs times each, as real subprocesses, warm (the parser and the schema verdicts
in the user cache, one untimed run of each first), and prints both medians and the median of
the per-round ratios. Aim: the catalog adds at most 10% (ratio <= 1.10). Then the same in
process: loading the catalog once and checking the 20 offers against it.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in ROOT.glob("examples/**/*.offer") if "store" not in p.parts)


def _offer() -> list[str]:
    beside = Path(sys.executable).parent / "offer"
    return [str(beside)] if beside.exists() else ["offer"]


def write_catalog(path: Path, count: int) -> int:
    """The catalog file; returns how many products the examples name."""
    from offerlang import compile_file
    from offerlang.store.catalog import Catalog, Product

    # Per product: every currency any example prices it in (the first price seen), and a
    # billing interval when any example bills it in periods.
    prices: dict[str, dict[str, Decimal]] = {}
    billing: dict[str, dict] = {}
    for example in EXAMPLES:
        result = compile_file(example, unbound_ok=True)
        if result.payload is not None:
            items = result.payload["items"]
        else:  # a template: its literal products and prices
            from offerlang.compiler import nodes as n
            from offerlang.compiler.emit import money_value

            items = []
            for node in result.offer.items if result.offer is not None else []:
                price = next((c for c in node.clauses if isinstance(c, n.Price)), None)
                amounts = {
                    m.currency.value: money_value(m.amount.value, m.currency.value)
                    for m in (price.amounts if price else [])
                    if isinstance(m.amount, n.Number)
                }
                billed = any(isinstance(c, n.Billed | n.Renew | n.Trial) for c in node.clauses)
                items.append(
                    {
                        "product": node.product.value,
                        "pricing": {"price": amounts, **({"interval": "year"} if billed else {})},
                    }
                )
        for item in items:
            pricing = item.get("pricing", {})
            for cur, amount in pricing.get("price", {}).items():
                prices.setdefault(item["product"], {}).setdefault(cur, amount)
            prices.setdefault(item["product"], {})
            if "interval" in pricing or "trial" in pricing or "renew" in pricing:
                interval = pricing.get("interval", "month")
                length = {} if interval == "adhoc" else {"intervalLength": pricing.get("intervalLength", 1)}
                billing.setdefault(item["product"], {"interval": interval, **length})
    named = {
        path: Product(
            path, {"en": path}, {"price": amounts or {"USD": Decimal("10.00")}, **billing.get(path, {})}
        )
        for path, amounts in prices.items()
    }
    products = list(named.values())
    for i in range(count - len(products)):
        pricing = {"price": {"USD": Decimal(1000 + i) / 100, "EUR": Decimal(900 + i) / 100}}
        if i % 3 == 0:
            pricing.update(interval="month", intervalLength=1)
        products.append(Product(f"filler-{i:05d}", {"en": f"Filler {i}"}, pricing))
    path.write_text(Catalog.of("acme", products).to_text(), "utf-8")
    return len(named)


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        said = done.stdout.decode() + done.stderr.decode()
        sys.exit(f"bench: {shlex.join(cmd)} exited {done.returncode}:\n{said}")
    return elapsed


def bench_cli(catalog: Path, runs: int) -> None:
    files = [str(p) for p in EXAMPLES]
    plain = [*_offer(), "check", "--isolated", *files]
    store = [*_offer(), "check", "--isolated", "--catalog", str(catalog), *files]
    out = subprocess.run(store, capture_output=True, text=True, check=False).stdout.strip().splitlines()[-1]
    print(f"  with the catalog: {out}")
    _wall(plain)
    _wall(store)
    plain_s, store_s = [], []
    for _ in range(runs):
        plain_s.append(_wall(plain))
        store_s.append(_wall(store))
    ratios = [b / a for a, b in zip(plain_s, store_s, strict=True)]
    print(f"offer check on {len(files)} examples, warm ({runs} alternating runs)")
    print(f"  without a catalog        median {statistics.median(plain_s) * 1000:7.1f} ms")
    size = f"{catalog.stat().st_size / 1024:.0f} KiB"
    print(f"  with the {size} catalog median {statistics.median(store_s) * 1000:7.1f} ms")
    print(f"  median ratio {statistics.median(ratios):.3f}  (aim: <= 1.10)")


def bench_in_process(catalog: Path, repeat: int) -> None:
    from offerlang import compile_source
    from offerlang.compiler.parser import lark_parser
    from offerlang.store.catalog import load
    from offerlang.store.context import StoreContext

    lark_parser()
    texts = [(str(p), p.read_text("utf-8")) for p in EXAMPLES]
    for path, text in texts:
        compile_source(text, path, unbound_ok=True)  # lazy imports paid once
    loads, plain, store = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        load(catalog, "catalog.json")
        loads.append(time.perf_counter() - start)
        start = time.perf_counter()
        for path, text in texts:
            compile_source(text, path, unbound_ok=True)
        plain.append(time.perf_counter() - start)
        context = StoreContext(None, catalog, "catalog.json")
        start = time.perf_counter()
        for path, text in texts:
            compile_source(text, path, unbound_ok=True, checks=context)
        store.append(time.perf_counter() - start)
    print(f"\nin process (median of {repeat})")
    print(f"  load + index the catalog   {statistics.median(loads) * 1000:6.2f} ms")
    print(f"  check {len(texts)} offers, no store  {statistics.median(plain) * 1000:6.2f} ms")
    with_store = statistics.median(store) * 1000
    print(f"  check {len(texts)} offers + store    {with_store:6.2f} ms (catalog load included)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_check import precompile_offerlang

    precompile_offerlang()
    with tempfile.TemporaryDirectory(prefix="offerlang-bench-store-") as tmp:
        catalog = Path(tmp) / "acme.catalog.json"
        used = write_catalog(catalog, args.products)
        print(f"catalog: {args.products} products ({used} named by the examples), {len(EXAMPLES)} examples")
        bench_cli(catalog, args.runs)
        bench_in_process(catalog, args.repeat)


if __name__ == "__main__":
    main()
