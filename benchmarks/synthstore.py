"""A synthetic store of realistic shape, for benchmarks that need many records without a crawl.

    python benchmarks/synthstore.py DATA_DIR --records 100000 [--seed 1]
    python benchmarks/synthstore.py DATA_DIR --records 1000000     # ~7.9 GB, ~3 min

Writes DATA_DIR/articles/<source>/<YYYY-MM>.jsonl as the crawler does: 15 sources, records in
the stored form (every field, FIELD_ORDER, one compact JSON line each), published over the three
years before --until and appended roughly in publishing order (a crawl stores what it finds as it
is published). Bodies have 300-1,500 words of Indonesian-looking text in paragraphs, some with
quoted speech and typographic quotes and dashes (so JSON and CSV have quotes and non-ASCII
characters to escape). 5 % of the articles are syndicated copies of a story another outlet
published in the two days before (same story_id, duplicate_of set, a near-identical body); 2 %
are updated: a second line, version 2, appended a few hundred articles later (a revisit). ~2 %
carry a quality flag, ANTARA's carry its rights notice. The same seed writes the same bytes.

Bodies are drawn from a pool of 50,000 generated paragraphs (~20 per body), so two articles
share a paragraph rarely and never a body, and a store of 1,000,000 records is written in
minutes: the pool's paragraphs are escaped for JSON once, not once per record.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import deque
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO

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
         "ke dari untuk dengan pada akan ini itu juga tidak sudah masih lebih bisa karena "
         "Rp1,5 triliun 5G 30% Jakarta Bandung Surabaya Kominfo OJK Telkomsel Indosat XL "
         "Google Meta Apple Samsung Xiaomi TikTok Shopee Tokopedia Gojek").split()
SPEAKERS = ("kata dia", "ujarnya", "kata Menteri", "jelasnya", "tutur juru bicara")
WIB = timezone(timedelta(hours=7))
ANTARA_NOTICE = ("Dilarang keras mengambil konten, melakukan crawling atau pengindeksan "
                 "otomatis untuk AI di situs web ini tanpa izin tertulis dari Kantor Berita "
                 "ANTARA.")
POOL_PARAGRAPHS = 50_000
COPY_WINDOW = timedelta(days=2)
UPDATE_DELAY = 300  # articles stored between an article and its update


def paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choices(WORDS, k=words))
    return text[0].upper() + text[1:] + "."


def pool_paragraph(rng: random.Random) -> str:
    """A paragraph as news prints them: mostly prose, some quoted speech, some dashes."""
    text = paragraph(rng, rng.randint(25, 70))
    roll = rng.random()
    if roll < 0.15:
        text = f'"{text[:-1]}," {rng.choice(SPEAKERS)}.'
    elif roll < 0.20:
        text = f"“{text[:-1]}”, {rng.choice(SPEAKERS)}."
    elif roll < 0.25:
        words = text.split(" ")
        cut = len(words) // 2
        text = " ".join(words[:cut]) + " – " + " ".join(words[cut:])
    return text


def content_hash(body: str) -> str:
    return hashlib.sha256(" ".join(body.split()).casefold().encode()).hexdigest()[:32]


class Bodies:
    """Article bodies from a pool of paragraphs, each paragraph's JSON escaping done once."""

    def __init__(self, rng: random.Random, size: int = POOL_PARAGRAPHS) -> None:
        self.texts = [pool_paragraph(rng) for _ in range(size)]
        self.words = [text.count(" ") + 1 for text in self.texts]
        self.json = [json.dumps(text, ensure_ascii=False)[1:-1] for text in self.texts]
        # content_hash's normalised text of a body is its paragraphs' joined by a space.
        self.normalised = [" ".join(text.split()).casefold() for text in self.texts]

    def draw(self, rng: random.Random) -> tuple[str, str, int, str]:
        """(body, its JSON string, words, content hash): 300-1,500 words."""
        target = rng.randint(300, 1430)  # the last paragraph (<= 70 words) stays under 1,500
        chosen, words = [], 0
        while words < target:
            index = rng.randrange(len(self.texts))
            chosen.append(index)
            words += self.words[index]
        body = "\n\n".join([self.texts[i] for i in chosen])
        digest = hashlib.sha256(" ".join([self.normalised[i] for i in chosen]).encode())
        return (body, '"' + "\\n\\n".join([self.json[i] for i in chosen]) + '"', words,
                digest.hexdigest()[:32])


def record_of(rng: random.Random, number: int, source: str, when: datetime, words: int) -> dict:
    """A record without its body (filled in when the line is written)."""
    record = dict.fromkeys(FIELD_ORDER)
    flags = []
    roll = rng.random()
    if roll < 0.01:
        flags = ["partial_body"]
    elif roll < 0.015:
        flags = ["date_disagreement"]
    elif roll < 0.02:
        flags = ["generic_body"]
    record.update(
        id=f"{source}:{1_000_000 + number}", source=source, outlet=source, section="tech",
        url=f"https://{source}.example/tekno/{1_000_000 + number}/judul-berita-{number}",
        title=paragraph(rng, rng.randint(6, 14))[:-1],
        description=paragraph(rng, 25), authors=[f"Penulis {rng.randint(1, 300)}"],
        editors=[f"Editor {rng.randint(1, 40)}"] if rng.random() < 0.3 else [],
        editor_codes=["abc", "xyz"] if rng.random() < 0.5 else [],
        dateline="Jakarta", published_at=when.isoformat(), date_source="jsonld",
        tags=rng.choices(WORDS, k=3), category="Tekno",
        image={"url": f"https://img.example/{number}.jpg", "caption": paragraph(rng, 12),
               "credit": "Foto: Istimewa"},
        language="id", word_count=words, version=1,
        story_id=hashlib.sha1(f"{source}:{number}".encode()).hexdigest()[:16],
        rights={"reserved": True, "notice": ANTARA_NOTICE,
                "signals": [{"source": "notice", "reserved": True, "detail": ANTARA_NOTICE}]}
        if source == "antaratekno" else None,
        parser=f"{source}@2024",
        archive={"file": f"warc/{source}/{when:%Y-%m}/x.warc.gz", "offset": number * 40_000,
                 "length": 30_000},
        crawled_at=(when + timedelta(minutes=30)).astimezone(timezone.utc).isoformat(),
        quality_flags=flags,
    )
    return record


def line_of(record: dict, body: str, body_json: str | None = None,
            body_hash: str | None = None) -> str:
    """The stored line: json.dumps(record, ensure_ascii=False, separators=(",", ":"))."""
    record["body"] = ""
    record["content_hash"] = body_hash or content_hash(body)
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    record["body"] = body
    return text.replace('"body":""', '"body":' + (
        body_json if body_json is not None else json.dumps(body, ensure_ascii=False)), 1) + "\n"


class Partitions:
    """Open partition files; those of past months are closed as the store moves on."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.handles: dict[Path, IO[str]] = {}

    def write(self, record: dict, line: str) -> None:
        path = self.data_dir / "articles" / record["source"] / f"{record['published_at'][:7]}.jsonl"
        handle = self.handles.get(path)
        if handle is None:
            if len(self.handles) >= 4 * len(SOURCES):
                for old in self.handles.values():
                    old.close()
                self.handles.clear()
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.handles[path] = path.open("a", encoding="utf-8")
        handle.write(line)

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()


def write_store(data_dir: Path, records: int, seed: int = 1,
                until: datetime = datetime(2026, 11, 1, tzinfo=WIB)) -> int:
    """Write the store; returns the number of lines written."""
    rng = random.Random(seed)
    bodies = Bodies(rng)
    start = until - timedelta(days=3 * 365)
    step = (until - start).total_seconds() / max(records, 1)
    recent: deque[dict] = deque()  # originals of the last COPY_WINDOW, for syndicated copies
    updates: deque[tuple[int, dict]] = deque()  # (due after article n, its version 2)
    out = Partitions(data_dir)
    written = 0
    seconds = 0.0
    try:
        for number in range(records):
            # Arrivals of a Poisson process: in order, at the requested mean rate.
            seconds += rng.expovariate(1.0) * step
            when = min(start + timedelta(seconds=seconds), until).replace(microsecond=0)
            while recent and when - datetime.fromisoformat(recent[0]["published_at"]) > COPY_WINDOW:
                recent.popleft()
            source = SOURCES[number % len(SOURCES)]
            if recent and rng.random() < 0.05:
                # A syndicated copy of another outlet's recent story, lightly edited.
                original = rng.choice(recent)
                if original["source"] == source:
                    source = SOURCES[(number + 1) % len(SOURCES)]
                body = original["body"].replace(".", "!", 1)
                record = record_of(rng, number, source, when, original["word_count"])
                record["story_id"] = original["story_id"]
                record["duplicate_of"] = original["id"]
                line = line_of(record, body)
            else:
                body, body_json, words, body_hash = bodies.draw(rng)
                record = record_of(rng, number, source, when, words)
                line = line_of(record, body, body_json, body_hash)
                recent.append(record)
            out.write(record, line)
            written += 1
            if rng.random() < 0.02:
                updates.append((number + UPDATE_DELAY, record))
            while updates and (updates[0][0] <= number or number == records - 1):
                _, original = updates.popleft()
                updated = dict(original, version=2, word_count=original["word_count"] + 30,
                               previous_content_hash=original["content_hash"],
                               modified_at=(when + timedelta(minutes=5)).isoformat())
                extra = paragraph(rng, 30)
                out.write(updated, line_of(updated, original["body"] + "\n\n" + extra))
                written += 1
    finally:
        out.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    began = time.perf_counter()
    lines = write_store(args.data_dir, args.records, args.seed)
    size = sum(p.stat().st_size for p in (args.data_dir / "articles").rglob("*.jsonl"))
    print(f"{args.records:,} articles, {lines:,} lines, {size / 1e6:.0f} MB under "
          f"{args.data_dir / 'articles'} in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
