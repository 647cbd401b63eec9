"""Scoring functions (newscrawl/evaluation.py) and `scrapy evaluate` on the gold set."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from conftest import ROOT, gold_pages, run_command

from newscrawl.evaluation import (
    aggregate,
    aggregate_body,
    body_score,
    field_equal,
    ngrams,
    same_minute,
    score_record,
    shingle_counts,
    tokenize,
)

PARAGRAPHS = [
    "Pemerintah tengah menyiapkan aturan baru yang mewajibkan ponsel impor didaftarkan "
    "sebelum dijual di Indonesia, kata pejabat Kementerian Perindustrian di Jakarta.",
    "Aturan itu akan berlaku mulai bulan depan dan menyasar ponsel yang dibeli dari luar "
    "negeri, termasuk yang dibawa sendiri oleh penumpang pesawat.",
    "Operator seluler diminta memblokir nomor IMEI yang tidak terdaftar setelah masa "
    "transisi enam bulan berakhir.",
]
BODY = "\n\n".join(PARAGRAPHS)


# ---------------------------------------------------------------- tokens and shingles
def test_tokens_are_word_runs_with_case_kept():
    assert tokenize("Jakarta, CNN Indonesia -- (fab/fab) 5G") == [
        "Jakarta", "CNN", "Indonesia", "fab", "fab", "5G"
    ]
    assert tokenize(None) == []


def test_shingles_are_a_multiset_of_4_grams():
    grams = ngrams("a b c d e a b c d")
    assert grams[("a", "b", "c", "d")] == 2
    assert sum(grams.values()) == 6
    assert ngrams("a b") == {("a", "b"): 1}  # shorter than 4 tokens: one shingle
    assert ngrams("") == {}


def test_identical_text_scores_one():
    score = body_score(BODY, BODY)
    assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0)
    assert score.exact
    # Whitespace and punctuation are not tokens: a re-flowed body is still identical.
    assert body_score(BODY, " ".join(BODY.split())).f1 == 1.0


def test_extra_boilerplate_lowers_precision_only():
    noisy = BODY + "\n\nBaca juga: Samsung Galaxy terbaru resmi dijual hari ini\n\n(fab/fab)"
    score = body_score(BODY, noisy)
    assert score.recall == 1.0
    assert 0.5 < score.precision < 1.0
    assert score.f1 < 1.0 and not score.exact


def test_missing_paragraph_lowers_recall_only():
    score = body_score(BODY, "\n\n".join(PARAGRAPHS[:2]))
    assert score.precision == 1.0
    assert 0.5 < score.recall < 1.0


def test_counts_are_normalised_per_page():
    tp, fp, fn = shingle_counts(BODY, BODY + " tambahan satu dua tiga")
    assert tp + fp + fn == pytest.approx(1.0)
    assert shingle_counts("", "") == (0.0, 0.0, 0.0)


def test_empty_prediction_has_no_precision_and_zero_recall():
    score = body_score(BODY, "")
    assert score.recall == 0.0
    summary = aggregate_body([score, body_score(BODY, BODY)])
    # The benchmark averages precision over pages that predicted something only.
    assert summary["precision"] == 1.0
    assert summary["recall"] == 0.5
    assert summary["f1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)


# ---------------------------------------------------------------- fields
def test_exact_fields():
    assert field_equal("Judul  Berita\n", "Judul Berita")
    assert not field_equal("Judul Berita", "judul berita")
    assert field_equal(["Intan"], ["Intan"])
    assert not field_equal(["fab", "fab"], ["fab"])
    assert not field_equal(["A", "B"], ["B", "A"])  # order matters (writer first)
    assert field_equal([], None) and field_equal(None, "")


def test_minute_with_the_right_offset():
    wib = "2024-03-27T09:55:00+07:00"
    assert same_minute(wib, "2024-03-27T09:55:42+07:00")
    assert not same_minute(wib, "2024-03-27T09:56:00+07:00")
    # The same instant in another offset is not the record the site printed.
    assert not same_minute(wib, "2024-03-27T02:55:00+00:00")
    assert not same_minute(wib, "2024-03-27T10:55:00+08:00")
    # A day without time (what generic extractors return), or no offset, is not a match.
    assert not same_minute(wib, "2024-03-27")
    assert not same_minute(wib, "2024-03-27T09:55:00")
    assert not same_minute(wib, None)
    assert same_minute(None, None)


def test_score_and_aggregate_per_site():
    expected = {"title": "T", "authors": ["A"], "editors": [], "editor_codes": ["x"],
                "dateline": "Jakarta", "tags": [], "published_at": "2024-03-27T09:55:00+07:00",
                "body": BODY}
    good = score_record("siteA", expected, dict(expected))
    bad = score_record("siteB", expected, {**expected, "authors": ["B"], "body": ""})
    failed = score_record("siteB", expected, None, error="boom")
    result = aggregate([good, bad, failed])
    assert result["sites"]["siteA"]["fields"]["authors"] == 1.0
    assert result["sites"]["siteB"]["fields"]["authors"] == 0.0
    assert result["sites"]["siteB"]["fields"]["title"] == 0.5
    assert result["sites"]["siteB"]["errors"] == 1
    assert result["overall"]["pages"] == 3
    assert result["overall"]["fields"]["title"] == pytest.approx(2 / 3)
    partial = score_record("siteA", expected, {"title": "T"}, fields=("title",))
    assert set(partial.fields) == {"title"}


# ---------------------------------------------------------------- the command
def run_evaluate(*args: str, tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["NEWSCRAWL_DATA_DIR"] = str(tmp_path / "data")
    return run_command(["evaluate", *args], env)


def test_evaluate_gold_set(tmp_path):
    out = tmp_path / "eval.json"
    proc = run_evaluate("--json", str(out), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    sites = {page.spider for page in gold_pages()}
    assert set(result["ours"]["sites"]) == sites
    assert set(result["trafilatura"]["sites"]) == sites
    overall = result["ours"]["overall"]
    assert overall["pages"] == len(gold_pages())
    for name in ("title", "authors", "published_at", "editor_codes"):
        assert overall["fields"][name] == 1.0, name
    assert overall["body"]["f1"] >= 0.98
    assert overall["body"]["precision"] >= 0.99
    baseline = result["trafilatura"]["overall"]
    assert {"title", "authors", "published_at"} <= set(baseline["fields"])
    assert baseline["body"]["f1"] is not None
    # The table: one row per site, ours and trafilatura columns.
    for site in sites:
        assert site in proc.stdout
    assert "ours" in proc.stdout and "traf" in proc.stdout and "overall" in proc.stdout


def test_evaluate_default_output_in_data_dir(tmp_path):
    proc = run_evaluate("--no-baseline", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = list((tmp_path / "data" / "evaluation").glob("*.json"))
    assert len(written) == 1
    result = json.loads(written[0].read_text(encoding="utf-8"))
    assert result["trafilatura"] is None
    assert "traf" not in proc.stdout


def test_evaluate_pages_dir(tmp_path):
    page = next(p for p in gold_pages() if p.spider == "detikinet")
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(page.html, pages / "one.html")
    (pages / "one.expected.json").write_text(json.dumps(page.expected), encoding="utf-8")
    # A page of an outlet no spider knows is read by the generic site (JSON-LD, meta, the
    # generic body path) and scored under its own name.
    shutil.copy(page.html, pages / "two.html")
    (pages / "two.expected.json").write_text(
        json.dumps({**page.expected, "source": "nosuchsite"}), encoding="utf-8"
    )
    out = tmp_path / "eval.json"
    proc = run_evaluate("--pages", str(pages), "--json", str(out), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["ours"]["overall"]["pages"] == 2
    assert list(result["ours"]["sites"]) == ["detikinet", "nosuchsite"]
    assert result["ours"]["sites"]["detikinet"]["fields"]["title"] == 1.0
    generic = result["ours"]["sites"]["nosuchsite"]
    assert generic["fields"]["title"] == 1.0 and generic["body"]["f1"] > 0.9
    assert result["skipped"] == []


def test_evaluate_missing_pages_dir(tmp_path):
    out = tmp_path / "eval.json"
    proc = run_evaluate("--pages", str(tmp_path / "absent"), "--json", str(out),
                        tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "skipped" in proc.stdout
    assert not out.exists()


def test_evaluate_shared_realpages_when_present(tmp_path):
    realpages = ROOT.parent / "shared" / "realpages"
    if not realpages.is_dir():
        pytest.skip("../shared/realpages is absent")
    out = tmp_path / "eval.json"
    proc = run_evaluate("--pages", str(realpages), "--no-baseline", "--json", str(out),
                        tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    if any(realpages.rglob("*.expected.json")):
        # Expected files were added beside the real pages: they are scored like the gold set.
        assert json.loads(out.read_text(encoding="utf-8"))["ours"]["overall"]
    else:
        # Real pages without expected records: nothing to score, said plainly, no result file.
        assert "skipped" in proc.stdout
        assert not out.exists()
