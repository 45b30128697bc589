"""The console's static files agree with the code they mirror: currency exponents, translations."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.domain.money import EXPONENTS

CONSOLE = Path(__file__).resolve().parents[2] / "site" / "console"


def test_the_console_formats_every_currency_with_the_apis_exponent() -> None:
    source = (CONSOLE / "currencies.js").read_text()
    lists = dict(re.findall(r'const (ZERO|THREE) = "([A-Z ]+)";', source))
    shown = {**{c: 0 for c in lists["ZERO"].split()}, **{c: 3 for c in lists["THREE"].split()}}
    assert shown == {c: e for c, e in EXPONENTS.items() if e != 2}
    assert "?? 2" in source  # every other known currency has two minor digits


@pytest.mark.parametrize("lang", ["es", "fr", "de"])
@pytest.mark.parametrize("strings", ["", "case.", "policy.", "account."])  # the shell's, then each lazy screen's
def test_every_console_string_is_translated(strings: str, lang: str) -> None:
    english = json.loads((CONSOLE / "i18n" / f"{strings}en.json").read_text())
    other = json.loads((CONSOLE / "i18n" / f"{strings}{lang}.json").read_text())
    assert sorted(other) == sorted(english)
    for key, text in english.items():
        placeholders = set(re.findall(r"\{(\w+)\}", json.dumps(text)))
        assert set(re.findall(r"\{(\w+)\}", json.dumps(other[key]))) == placeholders, key
