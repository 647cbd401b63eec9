"""Full-pipeline crawl speed against a no-op spider, and process memory, on a loopback site.

    python benchmarks/bench_crawl.py                          # 5,000 articles: noop vs full
    python benchmarks/bench_crawl.py --pages 100000 --runs full   # memory: RSS every 10,000

A loopback server (benchmarks/loopback.py, its own process, 127.0.0.1, random port) serves
N distinct detikInet article pages made from a fixture page, index pages of 20 links, and
robots.txt. Two crawls run against it, each in a fresh subprocess with a fresh temporary
NEWSCRAWL_DATA_DIR and the same settings (the project's settings, with every http(s)
request sent to the loopback server by NEWSCRAWL_HOST_OVERRIDE; AutoThrottle off,
DOWNLOAD_DELAY 0, ROBOTSTXT_OBEY on, the same concurrency):

* full: the real ``detikinet`` spider: discovery, skip-known, extraction, validation,
  dedupe (ledger, content hash, MinHash-LSH story index) and the JSONL store;
* noop: a spider that requests the same index and article pages and keeps nothing.

pages/s = article pages / the crawl's elapsed time (Scrapy's ``elapsed_time_seconds``).
The process RSS is sampled in the crawling process every ``--rss-every`` article responses.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _machine import machine  # noqa: E402

TARGET_RATIO = 0.6  # issue 15
TARGET_RSS_GROWTH_MB = 50


def child(args: argparse.Namespace) -> None:
    """Run one crawl in this process and print its figures as one JSON line."""
    os.environ["NEWSCRAWL_DATA_DIR"] = args.data_dir
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    from loopback import NoopSpider
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from newscrawl.spiders.detikinet import DetikInetSpider

    settings = get_project_settings()
    settings.setdict(
        {
            "NEWSCRAWL_DATA_DIR": args.data_dir,
            "NEWSCRAWL_MIRROR": None,
            "NEWSCRAWL_HOST_OVERRIDE": f"127.0.0.1:{args.port}",
            "EXTENSIONS": {"loopback.BenchProbe": 0},
            "BENCH_RSS_EVERY": args.rss_every,
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "LOG_FILE": str(Path(args.data_dir) / f"{args.child}.log"),
            "LOG_LEVEL": "INFO",
            **dict(item.split("=", 1) for item in args.set),
        },
        priority="cmdline",
    )
    spidercls = DetikInetSpider if args.child == "full" else NoopSpider
    listings = (args.pages + args.per_listing - 1) // args.per_listing
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(spidercls)
    process.crawl(crawler, max_pages=listings)
    start = time.perf_counter()
    process.start()
    wall = time.perf_counter() - start
    stats = crawler.stats.get_stats() if crawler.stats else {}
    records = 0
    for path in (Path(args.data_dir) / "articles").rglob("*.jsonl"):
        with path.open("rb") as handle:
            records += sum(1 for _ in handle)
    out = {
        "kind": args.child,
        "article_pages": stats.get("bench/article_responses", 0),
        "elapsed_s": stats.get("elapsed_time_seconds"),
        "wall_s": round(wall, 2),
        "responses": stats.get("response_received_count", 0),
        "items": stats.get("item_scraped_count", 0),
        "dropped": stats.get("item_dropped_count", 0),
        "errors": stats.get("log_count/ERROR", 0),
        "status_404": stats.get("downloader/response_status_count/404", 0),
        "records_stored": records,
        "finish_reason": stats.get("finish_reason"),
        "rss_mb": {k.rsplit("/", 1)[1].lstrip("0") or "0": v
                   for k, v in sorted(stats.items()) if k.startswith("bench/rss_mb/")},
        "pending": {k.rsplit("/", 1)[1].lstrip("0"): v
                    for k, v in sorted(stats.items()) if k.startswith("bench/pending/")},
    }
    print(json.dumps(out))


def start_server(pages: int, per_listing: int) -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "loopback.py"), "--serve", "--articles", str(pages),
         "--per-listing", str(per_listing)],
        stdout=subprocess.PIPE, text=True,
    )
    assert server.stdout is not None
    port = int(server.stdout.readline())
    return server, port


def run(kind: str, args: argparse.Namespace, port: int, tmp: Path) -> dict:
    data_dir = tmp / kind
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--port", str(port), "--data-dir",
         str(data_dir), "--pages", str(args.pages), "--per-listing", str(args.per_listing),
         "--concurrency", str(args.concurrency), "--rss-every", str(args.rss_every),
         *(f"--set={item}" for item in args.set)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"{kind} crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["rate"] = result["article_pages"] / result["elapsed_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000, help="article pages served")
    parser.add_argument("--per-listing", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16,
                        help="CONCURRENT_REQUESTS and _PER_DOMAIN, the same for both runs")
    parser.add_argument("--runs", default="noop,full", help="noop,full (in this order)")
    parser.add_argument("--rss-every", type=int, default=10_000,
                        help="sample RSS every this many article pages")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="one more Scrapy setting for both runs (an experiment, e.g. "
                        "CONCURRENT_ITEMS=16); printed with the results")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    parser.add_argument("--child", choices=["full", "noop"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    kinds = [k.strip() for k in args.runs.split(",") if k.strip()]
    print("# bench_crawl")
    print(f"machine: {machine()}")
    print(f"site: {args.pages:,} synthetic detikInet article pages, {args.per_listing} per index "
          f"page, loopback server in its own process; CONCURRENT_REQUESTS(_PER_DOMAIN) "
          f"{args.concurrency}, AutoThrottle off, DOWNLOAD_DELAY 0, ROBOTSTXT_OBEY on")
    if args.set:
        print(f"extra settings for both runs: {', '.join(args.set)}")
    tmp = Path(tempfile.mkdtemp(prefix="bench_crawl_"))
    server, port = start_server(args.pages, args.per_listing)
    results = {}
    try:
        for kind in kinds:
            results[kind] = r = run(kind, args, port, tmp)
            print(f"\n## {kind}: {r['article_pages']:,} article pages in {r['elapsed_s']:.1f} s "
                  f"= {r['rate']:,.0f} pages/s")
            print(f"responses {r['responses']:,}, items {r['items']:,}, dropped {r['dropped']:,}, "
                  f"records stored {r['records_stored']:,}, 404s {r['status_404']}, "
                  f"errors {r['errors']}, finish {r['finish_reason']}")
            checkpoints = ", ".join(
                f"{int(k):,}: {v:.0f} MB" for k, v in r["rss_mb"].items() if k != "end"
            )
            print(f"RSS after N article pages: {checkpoints or '-'}; "
                  f"at close {r['rss_mb'].get('end', 0):.0f} MB")
            if r["pending"]:
                print("requests waiting in the scheduler at those points: "
                      + ", ".join(f"{int(k):,}: {v:,}" for k, v in r["pending"].items()))
    finally:
        server.terminate()
        server.wait()

    print("\n## summary")
    if "full" in results and "noop" in results:
        ratio = results["full"]["rate"] / results["noop"]["rate"]
        verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
        print(f"full pipeline {results['full']['rate']:,.0f} pages/s, no-op spider "
              f"{results['noop']['rate']:,.0f} pages/s: ratio {ratio:.2f} "
              f"(target >= {TARGET_RATIO}: {verdict})")
    for kind, r in results.items():
        marks = {int(k): v for k, v in r["rss_mb"].items() if k != "end"}
        if 10_000 in marks and max(marks) > 10_000:
            last = max(marks)
            growth = marks[last] - marks[10_000]
            verdict = ""
            if last >= 100_000:
                verdict = (" (target <= 50 MB from 10,000 to 100,000: "
                           f"{'met' if growth <= TARGET_RSS_GROWTH_MB else 'MISSED'})")
            print(f"{kind}: RSS growth from 10,000 to {last:,} pages: {growth:+.0f} MB"
                  f"{verdict}")
    if args.keep:
        print(f"data kept in {tmp}")
    else:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
