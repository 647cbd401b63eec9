from newscrawl.normalize.encoding import find_mojibake, has_mojibake
from newscrawl.normalize.images import split_caption_credit
from newscrawl.normalize.text import clean_text, content_hash


def test_seed_mojibake_detected_and_clean_text_not_flagged():
    assert find_mojibake("Jakarta, ²©²ÊÍøÕ¾ - CEO Meta") == ["²©²ÊÍøÕ¾"]
    assert has_mojibake("Kafe baru: CafÃ© Kopi")
    for clean in ("José Mourinho", "suhu 30°C", "harga ±Rp 5 juta", "© 2024 CNBC Indonesia"):
        assert not has_mojibake(clean)


def test_clean_text_nfc_and_whitespace():
    assert clean_text("Cafe\u0301\u00a0 baru\u200b\n kota") == "Café baru kota"


def test_content_hash_ignores_whitespace_and_case_only():
    assert content_hash("Satu  dua\n\ntiga") == content_hash("satu dua tiga")
    assert content_hash("Satu dua tiga") != content_hash("Satu dua empat")


def test_captions_and_credits():
    assert split_caption_credit("Foto: Zuckerberg di Washington. (AP/Susan Walsh)") == (
        "Zuckerberg di Washington.",
        "AP/Susan Walsh",
    )
    assert split_caption_credit("Sam Bankman Fried. Foto: Getty Images") == (
        "Sam Bankman Fried.",
        "Getty Images",
    )
    assert split_caption_credit("Foto: Andi Pratama/detikInet") == (None, "Andi Pratama/detikInet")
    assert split_caption_credit("Foto: (Getty Images)") == (None, "Getty Images")
    assert split_caption_credit("Pameran di Jakarta. ANTARA FOTO/Aditya Putra/rwa.") == (
        "Pameran di Jakarta.",
        "ANTARA FOTO/Aditya Putra/rwa",
    )
    assert split_caption_credit("Peserta lomba (kiri) bersiap") == (
        "Peserta lomba (kiri) bersiap",
        None,
    )
    assert split_caption_credit("Ilustrasi ponsel lipat. [Suara.com/Dinda Rachmawati]") == (
        "Ilustrasi ponsel lipat.",
        "Suara.com/Dinda Rachmawati",
    )


def test_photo_day_in_parentheses_is_not_a_credit():
    assert split_caption_credit("Warga antre di Jakarta, Rabu (27/3/2024)") == (
        "Warga antre di Jakarta, Rabu (27/3/2024)",
        None,
    )
