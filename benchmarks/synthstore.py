"""A synthetic store of realistic shape, for benchmarks that need many records without a crawl.

    python benchmarks/synthstore.py DATA_DIR --records 100000 [--seed 1]

Writes DATA_DIR/articles/<source>/<YYYY-MM>.jsonl: 15 sources, records in the stored form
(every field, FIELD_ORDER), bodies of 300-1,500 words of Indonesian-looking text, published
over the three years before --until, 5 % syndicated copies of another outlet's story (same
story_id, duplicate_of set, a near-identical body) and 2 % updated (a second line, version 2).
The same seed writes the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newscrawl.items import FIELD_ORDER  # noqa: E402

SOURCES = ("antaratekno", "bisnisteknologi", "cnbcindonesia", "cnnindonesiatekno", "detikinet",
           "idntimestech", "kompastekno", "kumparantech", "liputan6tekno", "okezonetechno",
           "sindonewstekno", "suaratekno", "tempotekno", "tribunnewstechno", "vivadigital")
WORDS = ("ponsel internet operator jaringan aplikasi pengguna data layanan teknologi digital "
         "pemerintah perusahaan pasar harga baru tahun kota sinyal satelit kecerdasan buatan "
         "keamanan siber peretas akun kebocoran startup investasi pendanaan kebijakan regulasi "
         "kementerian komunikasi informatika laptop cip memori baterai kamera layar fitur "
         "pembaruan sistem operasi perangkat lunak keras server awan pusat platform media "
         "sosial video konten kreator iklan belanja daring pembayaran dompet bank dan yang di "
         "ke dari untuk dengan pada akan ini itu juga tidak sudah masih lebih bisa karena").split()
WIB = timezone(timedelta(hours=7))


def paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def body_of(rng: random.Random) -> str:
    total = rng.randint(300, 1500)
    paragraphs = []
    while total > 0:
        size = min(total, rng.randint(25, 70))
        paragraphs.append(paragraph(rng, size))
        total -= size
    return "\n\n".join(paragraphs)


def content_hash(body: str) -> str:
    return hashlib.sha256(" ".join(body.split()).casefold().encode()).hexdigest()[:32]


def record_of(rng: random.Random, number: int, source: str, when: datetime, body: str) -> dict:
    record = {name: None for name in FIELD_ORDER}
    record.update(
        id=f"{source}:{1_000_000 + number}", source=source, outlet=source, section="tech",
        url=f"https://{source}.example/tekno/{1_000_000 + number}/judul-berita-{number}",
        title=paragraph(rng, rng.randint(6, 14))[:-1],
        description=paragraph(rng, 25), authors=[f"Penulis {rng.randint(1, 300)}"],
        editors=[], editor_codes=["abc", "xyz"] if rng.random() < 0.5 else [],
        dateline="Jakarta", published_at=when.isoformat(), date_source="jsonld", body=body,
        tags=[rng.choice(WORDS) for _ in range(3)], category="Tekno",
        image={"url": f"https://img.example/{number}.jpg", "caption": paragraph(rng, 12),
               "credit": "Foto: Istimewa"},
        language="id", word_count=len(body.split()), content_hash=content_hash(body), version=1,
        story_id=hashlib.sha1(f"{source}:{number}".encode()).hexdigest()[:16],
        parser=f"{source}@2024",
        archive={"file": f"warc/{source}/{when:%Y-%m}/x.warc.gz", "offset": number * 40_000,
                 "length": 30_000},
        crawled_at=(when + timedelta(minutes=30)).astimezone(timezone.utc).isoformat(),
        quality_flags=["short_body"] if len(body.split()) < 40 else [],
    )
    return record


def write_store(data_dir: Path, records: int, seed: int = 1,
                until: datetime = datetime(2026, 11, 1, tzinfo=WIB)) -> int:
    """Write the store; returns the number of lines written."""
    rng = random.Random(seed)
    span = timedelta(days=3 * 365).total_seconds()
    handles: dict[Path, object] = {}
    written = 0
    originals: list[dict] = []
    try:
        for number in range(records):
            source = SOURCES[number % len(SOURCES)]
            when = (until - timedelta(seconds=rng.random() * span)).replace(microsecond=0)
            if originals and rng.random() < 0.05:
                # A syndicated copy: another outlet's story, lightly edited.
                original = rng.choice(originals)
                body = original["body"].replace(".", "!", 1)
                record = record_of(rng, number, source, when, body)
                record["story_id"] = original["story_id"]
                record["duplicate_of"] = original["id"]
            else:
                record = record_of(rng, number, source, when, body_of(rng))
                if len(originals) < 2000:
                    originals.append(record)
            lines = [record]
            if rng.random() < 0.02:
                updated = dict(record, version=2, previous_content_hash=record["content_hash"])
                updated["body"] = record["body"] + "\n\n" + paragraph(rng, 30)
                updated["content_hash"] = content_hash(updated["body"])
                lines.append(updated)
            path = data_dir / "articles" / source / f"{record['published_at'][:7]}.jsonl"
            handle = handles.get(path)
            if handle is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                handle = handles[path] = path.open("a", encoding="utf-8")
            for line in lines:
                handle.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
                written += 1
    finally:
        for handle in handles.values():
            handle.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    lines = write_store(args.data_dir, args.records, args.seed)
    size = sum(p.stat().st_size for p in (args.data_dir / "articles").rglob("*.jsonl"))
    print(f"{args.records:,} articles, {lines:,} lines, {size / 1e6:.0f} MB under "
          f"{args.data_dir / 'articles'}")


if __name__ == "__main__":
    main()
