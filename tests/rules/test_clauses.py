import unicodedata
from pathlib import Path

from nguon.rules.registry import load_package

VIETNAMESE_MARKS = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"


def test_hungyen_clauses_are_verbatim_from_the_seed():
    package = load_package("hungyen")
    seed = (package.folder / "sources" / "06-HD-BTCTU-article.vi.txt").read_text("utf-8")
    seed = unicodedata.normalize("NFC", seed)
    quoted = [c for c in package.clauses.values() if c.document == "hy06"]
    assert len(quoted) >= 15
    for clause in quoted:
        assert clause.verbatim
        assert clause.text in seed, clause.id


def test_texts_and_messages_are_nfc():
    package = load_package("hungyen")
    for clause in package.clauses.values():
        assert unicodedata.is_normalized("NFC", clause.text)
    for rule in package.rules:
        assert unicodedata.is_normalized("NFC", rule.message)
        assert any(ch in rule.message for ch in VIETNAMESE_MARKS)


def test_source_copy_matches_shared_seed_when_present():
    shared = Path("/work/shared/seeds/hungyen-06-HD-BTCTU-article.vi.txt")
    if shared.exists():
        package = load_package("hungyen")
        copy = package.folder / "sources" / "06-HD-BTCTU-article.vi.txt"
        assert copy.read_bytes() == shared.read_bytes()
