"""portal.terminal.safe: what reaches an operator's terminal from data is visible and inert."""
from __future__ import annotations

from portal.terminal import safe


def test_controls_escapes_and_bidi_overrides_are_written_out():
    assert safe("Ana \x1b[31mRed\x1b[0m") == "Ana \\x1b[31mRed\\x1b[0m"
    assert safe("abc\u202edef\u2066x\u2069") == "abc\\u202edef\\u2066x\\u2069"
    assert safe("a\r\nb\tc\x00\x7f\x9b") == "a\\x0d\\x0ab\\x09c\\x00\\x7f\\x9b"


def test_ordinary_text_in_any_script_is_left_alone():
    for text in ("Ana García", "Jonas Müller 482,90\xa0€", "שלום", "東京", "Rechnung: 5 Tage"):
        assert safe(text) == text
