"""Story clustering (newscrawl.stories): copies join a story, other stories do not.

The paragraphs below are written for these tests (invented facts, Indonesian news style).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newscrawl import stories
from newscrawl.ledger import SqliteLedger
from newscrawl.ledger_protocol import Ledger
from newscrawl.stories import StoryIndex, shingles, signature


def _text(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


def _edit(text: str, *pairs: tuple[str, str]) -> str:
    """Apply replacements, each of which must change the text (so a typo cannot pass silently)."""
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


ORIGINAL = _text(
    (
        "Jakarta, CNBC Indonesia - Samsung Electronics Indonesia resmi memperkenalkan ponsel "
        "kelas menengah terbarunya, Galaxy A57 5G, dalam acara peluncuran di Jakarta pada "
        "Selasa siang. Ponsel ini dibanderol mulai Rp 5,49 juta untuk varian memori 8/256 GB "
        "dan sudah bisa dipesan melalui situs resmi serta sejumlah toko daring mulai hari "
        "ini."
    ),
    (
        "Menurut Product Marketing Manager Samsung Indonesia, Rina Kartika, perangkat "
        "tersebut membawa layar Super AMOLED berukuran 6,7 inci dengan tingkat penyegaran 120"
        " Hz. Dapur pacunya mengandalkan cip Exynos 1680 yang diklaim lebih hemat daya "
        "dibanding generasi sebelumnya."
    ),
    (
        "Di sektor kamera, Galaxy A57 5G dibekali kamera utama 50 MP dengan penstabil gambar "
        "optik, kamera ultra lebar 12 MP, serta kamera makro 5 MP. Baterainya berkapasitas "
        "5.000 mAh dan mendukung pengisian cepat 45 watt."
    ),
    (
        "Rina menambahkan, Samsung menjanjikan enam kali pembaruan sistem operasi Android dan"
        " enam tahun pembaruan keamanan untuk seri ini. Menurutnya, komitmen itu menjawab "
        "keluhan konsumen yang ingin memakai ponsel lebih lama tanpa khawatir ketinggalan "
        "fitur."
    ),
    (
        '"Kami melihat pengguna di Indonesia kini menyimpan ponselnya tiga sampai empat '
        'tahun, jadi dukungan perangkat lunak yang panjang menjadi keharusan," kata Rina '
        "kepada CNBC Indonesia."
    ),
    (
        "Selama periode pra-pesan hingga 20 Maret, pembeli akan mendapatkan bonus pengisi "
        "daya dan potongan harga hingga Rp 500 ribu untuk transaksi menggunakan kartu kredit "
        "bank tertentu."
    ),
)

# Syndicated copy: another dateline and outlet name, one sentence rewritten.
SYNDICATED = _edit(
    ORIGINAL,
    ("Jakarta, CNBC Indonesia - ", "JAKARTA, KOMPAS.com - "),
    ("kepada CNBC Indonesia.", "kepada Kompas.com."),
    (
        "Ponsel ini dibanderol mulai Rp 5,49 juta untuk varian memori 8/256 GB dan sudah bisa "
        "dipesan melalui situs resmi serta sejumlah toko daring mulai hari ini.",
        "Ponsel tersebut dijual dengan harga mulai Rp 5,49 juta untuk varian 8/256 GB dan sudah "
        "dapat dipesan lewat situs resmi maupun beberapa toko online sejak hari ini.",
    ),
)

# Copy with the camera paragraph removed (and another outlet's dateline).
PARAGRAPH_REMOVED = _edit(
    _text(*[p for p in ORIGINAL.split("\n\n") if not p.startswith("Di sektor kamera")]),
    ("Jakarta, CNBC Indonesia - ", "Jakarta, detikINET - "),
    ("kepada CNBC Indonesia.", "kepada detikINET."),
)

# Copy with eight small word edits, a new dateline and an added closing sentence.
REWORDED = _edit(
    ORIGINAL,
    ("Jakarta, CNBC Indonesia - ", "Bandung, Antara - "),
    ("kepada CNBC Indonesia.", "kepada Antara."),
    ("resmi memperkenalkan", "secara resmi memperkenalkan"),
    ("acara peluncuran di Jakarta", "acara peluncuran produk di Jakarta"),
    ("yang diklaim lebih hemat", "yang disebut lebih hemat"),
    ("serta sejumlah toko daring", "serta beberapa toko daring"),
    ("mendukung pengisian cepat", "sudah mendukung pengisian cepat"),
    ("menjawab keluhan konsumen", "menjawab keluhan para konsumen"),
) + "\n\nSamsung belum mengumumkan kapan varian memori 12/512 GB akan tersedia di Indonesia."

# Different story, same phone: same company, names and specs, different facts and sentences.
SAME_TOPIC = _text(
    (
        "Jakarta, CNBC Indonesia - Samsung Electronics Indonesia memastikan Galaxy A57 5G "
        "yang dijual di Indonesia dirakit di pabrik Cikarang, Jawa Barat. Ponsel kelas "
        "menengah itu telah mengantongi sertifikat tingkat komponen dalam negeri (TKDN) "
        "sebesar 35 persen dari Kementerian Perindustrian."
    ),
    (
        "Direktur Manufaktur Samsung Indonesia, Budi Santoso, mengatakan jalur produksi baru "
        "di Cikarang mampu merakit hingga 150 ribu unit ponsel per bulan. Sebagian besar "
        "komponen seperti layar Super AMOLED, baterai 5.000 mAh, dan cip Exynos 1680 masih "
        "didatangkan dari Korea Selatan dan Vietnam."
    ),
    (
        "Menurut Budi, Samsung juga melatih sekitar 400 teknisi lokal untuk menguji kamera "
        "utama 50 MP dan kualitas layar sebelum perangkat dikemas. Pengujian itu mencakup uji"
        " jatuh, uji suhu, serta pemeriksaan sinyal 5G di sejumlah kota."
    ),
    (
        '"Kami ingin pasokan Galaxy A57 5G ke toko daring dan gerai resmi tetap lancar selama'
        ' periode pra-pesan," ujar Budi kepada CNBC Indonesia.'
    ),
    (
        "Kementerian Perindustrian menyebut nilai investasi pabrik tersebut mencapai Rp 1,2 "
        "triliun dan menyerap lebih dari 2.000 tenaga kerja. Pemerintah berharap produsen "
        "ponsel lain menambah kandungan lokal agar harga perangkat 5G semakin terjangkau bagi"
        " konsumen Indonesia."
    ),
)

# A rival's launch written from the same newsroom template.
RIVAL = _text(
    (
        "Jakarta, CNBC Indonesia - Xiaomi Indonesia resmi memperkenalkan ponsel kelas "
        "menengah terbarunya, Redmi Note 15 Pro 5G, dalam acara peluncuran di Jakarta pada "
        "Kamis malam. Ponsel ini dibanderol mulai Rp 4,29 juta untuk varian memori 8/256 GB "
        "dan sudah bisa dipesan melalui situs resmi serta sejumlah toko daring mulai hari "
        "ini."
    ),
    (
        "Country Director Xiaomi Indonesia, Andi Wijaya, mengatakan Redmi Note 15 Pro 5G "
        "membawa layar AMOLED 6,67 inci dengan kecerahan puncak 3.000 nit serta bodi yang "
        "tahan cipratan air. Ponsel ini ditenagai cip Dimensity 7400 Ultra."
    ),
    (
        "Kamera utamanya beresolusi 200 MP, ditemani kamera ultra lebar 8 MP dan kamera makro"
        " 2 MP. Baterai berkapasitas 5.500 mAh dapat diisi penuh dalam waktu sekitar 40 menit"
        " dengan pengisi daya 67 watt yang disertakan dalam kotak penjualan."
    ),
    (
        "Andi menyebut segmen harga empat jutaan merupakan pasar ponsel paling ramai di "
        "Indonesia tahun ini. Xiaomi menargetkan penjualan Redmi Note 15 Pro 5G naik 20 "
        "persen dibanding pendahulunya."
    ),
    (
        "Pembeli pada gelombang pertama penjualan mendapat gratis perlindungan layar selama "
        "enam bulan dan cicilan nol persen hingga 12 bulan."
    ),
)

# Templated daily report; the next day's edition differs only in its figures.
DAILY_1 = _text(
    (
        "Jakarta, CNBC Indonesia - Harga Bitcoin pada perdagangan Senin pagi tercatat di "
        "level US$ 67.420 per koin atau setara Rp 1,09 miliar. Angka ini naik 2,4 persen "
        "dibanding penutupan perdagangan sehari sebelumnya."
    ),
    (
        "Berdasarkan data CoinMarketCap pukul 08.00 WIB, kapitalisasi pasar Bitcoin mencapai "
        "US$ 1,33 triliun dengan volume transaksi harian sebesar US$ 28,1 miliar. Dominasi "
        "Bitcoin terhadap total pasar kripto berada di angka 54,2 persen."
    ),
    (
        "Ethereum sebagai aset kripto terbesar kedua diperdagangkan di harga US$ 3.512 atau "
        "menguat 1,8 persen. Sementara itu, Solana bergerak naik 3,1 persen ke level US$ 171,"
        " dan BNB melemah 0,6 persen ke US$ 588."
    ),
    (
        "Di pasar lokal, harga Bitcoin di platform Indodax dibuka pada Rp 1,08 miliar dan "
        "sempat menyentuh Rp 1,1 miliar. Jumlah pengguna aktif harian platform tersebut "
        "tercatat 412 ribu akun."
    ),
    (
        "Analis menilai pergerakan harga masih dipengaruhi arus dana masuk ke produk ETF "
        "Bitcoin di Amerika Serikat serta ekspektasi pasar terhadap arah suku bunga bank "
        "sentral. Investor disarankan tetap memperhatikan manajemen risiko karena volatilitas"
        " aset kripto masih tinggi."
    ),
)

DAILY_2 = _edit(
    DAILY_1,
    ("Senin", "Selasa"),
    ("67.420", "66.105"),
    ("1,09 miliar", "1,07 miliar"),
    ("naik 2,4 persen", "turun 1,9 persen"),
    ("1,33 triliun", "1,30 triliun"),
    ("28,1 miliar", "31,6 miliar"),
    ("54,2", "53,8"),
    ("3.512", "3.447"),
    ("menguat 1,8", "melemah 1,8"),
    ("naik 3,1 persen ke level US$ 171", "turun 2,2 persen ke level US$ 167"),
    ("melemah 0,6 persen ke US$ 588", "menguat 0,4 persen ke US$ 591"),
    ("Rp 1,08 miliar", "Rp 1,07 miliar"),
    ("Rp 1,1 miliar", "Rp 1,08 miliar"),
    ("412 ribu", "398 ribu"),
)

THIRD_COPY = _edit(
    SYNDICATED,
    ("JAKARTA, KOMPAS.com - ", "Surabaya, Tribunnews - "),
    ("kepada Kompas.com.", "kepada Tribunnews."),
)

ROOT = "cnbcindonesia:525780"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "ledger.sqlite3"


@pytest.fixture(params=["sqlite", "redis"])
def open_ledger(request, path: Path) -> Callable[[], Ledger]:
    """Stories behave the same on the SQLite ledger and on distributed mode's Redis one: this
    opens the test's ledger, again each call (to reopen it)."""
    if request.param == "sqlite":
        return lambda: SqliteLedger(path)
    from newscrawl.redis_ledger import RedisLedger

    url = request.getfixturevalue("redis_url")
    return lambda: RedisLedger(url)


@pytest.fixture
def index(open_ledger):
    with open_ledger() as led:
        yield StoryIndex(led)


def test_texts_are_news_sized():
    for text in (ORIGINAL, SYNDICATED, PARAGRAPH_REMOVED, REWORDED, SAME_TOPIC, RIVAL, DAILY_1):
        assert 120 <= len(stories.normalize_words(text)) <= 230


# -- shingles and signatures ----------------------------------------------------------


def test_shingles_normalise_case_punctuation_and_unicode():
    decomposed = unicodedata.normalize("NFD", "Café Baru, RILIS: hari ini!")
    assert shingles(decomposed, k=2) == {"café baru", "baru rilis", "rilis hari", "hari ini"}
    assert shingles("Harga Rp 5.000 (naik)", k=5) == {"harga rp 5 000 naik"}
    assert shingles("dua kata", k=5) == {"dua kata"}
    assert shingles("  ... ", k=5) == set()


def test_shingles_are_word_k_grams():
    text = "satu dua tiga empat lima enam tujuh"
    assert len(shingles(text, k=5)) == 3
    assert "tiga empat lima enam tujuh" in shingles(text, k=5)
    assert len(shingles(text, k=3)) == 5


def test_signature_is_identical_in_another_process():
    """Same text, same signature, whatever PYTHONHASHSEED a crawler process gets."""
    code = (
        "import json, sys; from newscrawl.stories import signature; "
        "print(json.dumps(signature(sys.stdin.read()).hashvalues.tolist()))"
    )
    root = Path(__file__).resolve().parents[1]
    results = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        out = subprocess.run(
            [sys.executable, "-c", code], input=ORIGINAL, capture_output=True, text=True,
            env=env, check=True, cwd=root,
        ).stdout
        results.append(json.loads(out))
    assert results[0] == results[1] == signature(ORIGINAL).hashvalues.tolist()


def test_estimates_separate_copies_from_other_stories():
    for copy in (SYNDICATED, PARAGRAPH_REMOVED, REWORDED):
        assert stories.estimated_similarity(ORIGINAL, copy) >= 0.6
    for other in (SAME_TOPIC, RIVAL):
        assert stories.estimated_similarity(ORIGINAL, other) <= 0.2


def test_lsh_banding_makes_threshold_pairs_candidates():
    rows = stories.choose_rows(0.5, 128)
    bands = 128 // rows
    assert 1 - (1 - 0.5**rows) ** bands >= 0.99
    assert 1 - (1 - 0.5 ** (rows + 1)) ** (128 // (rows + 1)) < 0.99  # the largest such r


# -- assigning stories ------------------------------------------------------------------


def test_first_record_founds_a_story(index):
    match = index.assign(ROOT, ORIGINAL, "2024-03-27T09:55:00+07:00")
    assert match.is_new_story
    assert match.duplicate_of is None
    assert match.story_id == stories.story_id_for(ROOT)


@pytest.mark.parametrize(
    "copy", [SYNDICATED, PARAGRAPH_REMOVED, REWORDED], ids=["syndicated", "paragraph", "reworded"]
)
def test_edited_copy_joins_the_story_of_the_first_record(index, copy):
    first = index.assign(ROOT, ORIGINAL, "2024-03-27T09:55:00+07:00")
    match = index.assign("kompas:2024/03/27/1", copy, "2024-03-27T10:20:00+07:00")
    assert match.story_id == first.story_id
    assert match.duplicate_of == ROOT
    assert match.similarity is not None and match.similarity >= index.threshold


@pytest.mark.parametrize(
    "other", [SAME_TOPIC, RIVAL, DAILY_1], ids=["same-phone", "rival-template", "unrelated"]
)
def test_different_story_on_the_same_topic_founds_its_own(index, other):
    first = index.assign(ROOT, ORIGINAL)
    match = index.assign("cnbcindonesia:525999", other)
    assert match.story_id != first.story_id
    assert match.duplicate_of is None


def test_templated_daily_reports_stay_apart(index):
    monday = index.assign("cnbcindonesia:1", DAILY_1)
    tuesday = index.assign("cnbcindonesia:2", DAILY_2)
    assert tuesday.story_id != monday.story_id
    assert tuesday.duplicate_of is None


def test_later_copies_point_at_the_first_record(index):
    first = index.assign(ROOT, ORIGINAL)
    index.assign("kompas:1", SYNDICATED)
    third = index.assign("tribunnews:1", THIRD_COPY)  # closest to the Kompas copy
    assert third.story_id == first.story_id
    assert third.duplicate_of == ROOT
    assert index.ledger.story_size(first.story_id) == 3


def test_assign_is_idempotent(index):
    index.assign(ROOT, ORIGINAL)
    copy = index.assign("kompas:1", SYNDICATED)
    again = index.assign("kompas:1", SYNDICATED)
    changed = index.assign("kompas:1", SAME_TOPIC)  # a later version keeps its story
    assert again == copy == changed
    assert index.ledger.story_size(copy.story_id) == 2


def test_short_bodies_get_their_own_story(index):
    short = "Samsung resmi merilis Galaxy A57 5G di Jakarta hari ini dengan harga Rp 5,49 juta."
    a = index.assign("detik:1", short)
    b = index.assign("kompas:1", short)
    assert a.story_id != b.story_id
    assert b.duplicate_of is None
    # and a long record is not pulled into a short one's story either
    long = index.assign("cnbcindonesia:1", ORIGINAL)
    assert long.story_id not in (a.story_id, b.story_id)


def test_stories_persist_across_reopened_index(open_ledger):
    with open_ledger() as led:
        first = StoryIndex(led).assign(ROOT, ORIGINAL, "2024-03-27T09:55:00+07:00")
        StoryIndex(led).assign("cnbcindonesia:7", SAME_TOPIC)
    with open_ledger() as led:
        index = StoryIndex(led)
        assert index.get(ROOT) == first
        copy = index.assign("antara:4101", REWORDED)
        assert copy.story_id == first.story_id
        assert copy.duplicate_of == ROOT
        assert index.get("unknown:1") is None


def test_reopening_with_other_signature_parameters_is_refused(open_ledger):
    with open_ledger() as led:
        StoryIndex(led)
        with pytest.raises(ValueError):
            StoryIndex(led, shingle_size=3)
        with pytest.raises(ValueError):
            StoryIndex(led, num_perm=64)
        StoryIndex(led, threshold=0.6)  # only verification changes: allowed


def test_stricter_threshold_keeps_the_reworded_copy_apart(open_ledger):
    with open_ledger() as led:
        index = StoryIndex(led, threshold=0.9)
        first = index.assign(ROOT, ORIGINAL)
        assert index.assign("antara:1", REWORDED).story_id != first.story_id


def test_reconcile_restores_story_rows_from_the_store(open_ledger):
    store = [
        {"id": ROOT, "body": ORIGINAL, "story_id": "abc123", "duplicate_of": None},
        {"id": "kompas:1", "body": SYNDICATED, "story_id": "abc123", "duplicate_of": ROOT},
        {"id": "cnbcindonesia:7", "body": SAME_TOPIC},  # written before story ids existed
    ]
    with open_ledger() as led:
        index = StoryIndex(led)
        assert index.reconcile(store) == 3
        assert index.reconcile(store) == 0
        assert index.get("kompas:1").story_id == "abc123"
        assert index.get("kompas:1").duplicate_of == ROOT
        assert index.get("cnbcindonesia:7").story_id not in ("abc123", None)
        copy = index.assign("detik:1", PARAGRAPH_REMOVED)
        assert copy.story_id == "abc123"
        assert copy.duplicate_of == ROOT


def test_pruned_records_no_longer_attract_copies(index):
    first = index.assign(ROOT, ORIGINAL)
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert index.prune(later) == 1
    assert index.prune(later) == 0  # nothing left to prune
    assert index.get(ROOT) == first  # keeps its story
    assert index.assign("kompas:1", SYNDICATED).story_id != first.story_id


def test_story_index_does_not_keep_signatures_in_memory(index):
    index.assign(ROOT, ORIGINAL)
    index.assign("kompas:1", SYNDICATED)
    state = [v for v in vars(index).values() if isinstance(v, (list, dict, set))]
    assert state == []
    if isinstance(index.ledger, SqliteLedger):
        rows = index.ledger.conn.execute("SELECT COUNT(*) FROM story_bands").fetchone()[0]
    else:
        client, prefix = index.ledger.redis, index.ledger.prefix
        rows = sum(client.scard(key) for key in client.scan_iter(prefix + "story:band:*"))
    assert rows == 2 * index.bands
