from newscrawl.normalize.bylines import parse_credits, parse_editor_codes, split_names


def test_outlet_suffixes_removed():
    assert split_names("Intan Rakhmayanti, CNBC Indonesia") == ["Intan Rakhmayanti"]
    assert split_names("Fino Yurio Kristo - detikInet") == ["Fino Yurio Kristo"]
    assert split_names("Retno Ayuningrum -detikFinance") == ["Retno Ayuningrum"]
    assert split_names("Nama Penulis | CNN Indonesia") == ["Nama Penulis"]


def test_several_authors_split_in_order():
    assert split_names("Adi Fida Rahman, Anggoro Suryo - detikInet") == [
        "Adi Fida Rahman",
        "Anggoro Suryo",
    ]
    assert split_names("Penulis: Ana dan Budi") == ["Ana", "Budi"]
    assert split_names(
        "Novina Putri Bestari, CNBC Indonesia & Rindi Salsabila, CNBC Indonesia"
    ) == ["Novina Putri Bestari", "Rindi Salsabila"]


def test_hyphenated_name_kept():
    assert split_names("Abdul-Rahman Wahid") == ["Abdul-Rahman Wahid"]


def test_credit_lines():
    assert parse_credits("Penulis: Irfan Kamil | Editor: Robertus Belarminus") == {
        "authors": ["Irfan Kamil"],
        "editors": ["Robertus Belarminus"],
    }
    assert parse_credits("Pewarta: Ahmad SavitriEditor: Budi Santoso Copyright © ANTARA 2026") == {
        "authors": ["Ahmad Savitri"],
        "editors": ["Budi Santoso"],
    }
    assert parse_credits("Pewarta : Sri Hartati Editor: Dadan Ramdani COPYRIGHT © ANTARA 2026") == {
        "authors": ["Sri Hartati"],
        "editors": ["Dadan Ramdani"],
    }


def test_editor_codes():
    assert parse_editor_codes("(fab/fab)") == ["fab", "fab"]
    assert parse_editor_codes("teks terakhir. (shc/kil)") == ["shc", "kil"]
    assert parse_editor_codes("(kha)") == ["kha"]
    assert parse_editor_codes("tanpa kode") == []
