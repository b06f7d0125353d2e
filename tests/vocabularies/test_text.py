"""One form per visible string: `clean_text` normalises to NFC and refuses what cannot be seen."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pairmatch.text import TextError, clean_text, hidden_characters, printable

REFUSED_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")


def every_character():
    return (chr(c) for c in range(sys.maxunicode + 1))


def test_every_control_and_format_character_is_refused_alone_and_inside_text():
    refused = [ch for ch in every_character() if unicodedata.category(ch) in REFUSED_CATEGORIES]
    assert "\u200b" in refused
    assert "\u200f" in refused
    assert "\ufeff" in refused
    for ch in refused:
        for text in (ch, f"M1{ch}", f"{ch}M1", f"M{ch}1"):
            with pytest.raises(TextError):
                clean_text(text)
            assert hidden_characters(text), repr(text)
            assert ch not in printable(text)


def test_everything_else_is_accepted_and_only_spaces_change():
    # One long string of every other character: the fast scan and the slow one must agree.
    others = "".join(
        ch
        for ch in every_character()
        if unicodedata.category(ch) not in REFUSED_CATEGORIES and not hidden_characters(ch)
    )
    assert hidden_characters(others) == []
    cleaned = clean_text(others)
    assert cleaned == unicodedata.normalize(
        "NFC", "".join(" " if unicodedata.category(c) == "Zs" else c for c in others)
    )


@pytest.mark.parametrize(
    "ch",
    ["\u034f", "\u115f", "\u1160", "\u17b4", "\u180b", "\u3164", "\ufe0f", "\uffa0", "\U000e0100"],
    ids=lambda ch: f"U+{ord(ch):04X}",
)
def test_characters_that_draw_nothing_are_refused_though_not_format_characters(ch):
    with pytest.raises(TextError, match="invisible characters"):
        clean_text(f"M1{ch}")


def test_the_message_names_each_character_and_shows_the_text_escaped():
    with pytest.raises(TextError) as err:
        clean_text("M1\u200b\u200f")
    assert str(err.value) == (
        "'M1\\u200b\\u200f' contains invisible characters (U+200B ZERO WIDTH SPACE, U+200F RIGHT-TO-LEFT MARK); "
        "use printable text only"
    )
    with pytest.raises(TextError, match=r"control and invisible characters \(U\+001B, U\+200B ZERO WIDTH SPACE\)"):
        clean_text("M1\x1b\u200b")


def test_one_form_per_visible_string():
    assert clean_text("Jose\u0301") == clean_text("Jos\u00e9") == "Jos\u00e9"
    assert clean_text("Tower\u00a0Hamlets") == clean_text("Tower\u2009Hamlets") == "Tower Hamlets"
    assert clean_text("M1") == "M1"


def test_joiners_are_text_only_inside_the_scripts_that_spell_with_them():
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a Persian word with a zero-width non-joiner
    bengali = "\u0995\u09cd\u200d\u09b7"  # a Bengali conjunct written with a zero-width joiner
    assert clean_text(persian) == persian
    assert clean_text(bengali) == bengali
    assert printable(persian) == persian
    for text in ("Jo\u200dhn", "M1\u200c", "\u200cM1", "\u0645\u200cM"):
        with pytest.raises(TextError):
            clean_text(text)


@given(st.text())
def test_clean_text_is_idempotent_and_refuses_exactly_what_it_lists(text):
    found = hidden_characters(text)
    if found:
        with pytest.raises(TextError):
            clean_text(text)
        assert printable(text) != text
    else:
        once = clean_text(text)
        assert clean_text(once) == once
        assert unicodedata.is_normalized("NFC", once)


def test_vocabulary_and_settings_documents_refuse_hidden_characters_in_their_names(tmp_path):
    import pairmatch as pm
    from pairmatch.io.config import ConfigDocument
    from pairmatch.vocabulary_documents import DocumentError

    path = tmp_path / "g.json"
    path.write_text('{"places": ["Newham\\u200b", "Brent"], "borders": [["Brent", "Newham"]]}', encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        pm.Geography.from_file(path)
    assert "places[0]: 'Newham\\u200b' contains invisible characters (U+200B ZERO WIDTH SPACE)" in str(info.value)
    with pytest.raises(ValueError, match="ZERO WIDTH SPACE"):
        ConfigDocument.model_validate({"name": "Pilot\u200b"})
    assert ConfigDocument.model_validate({"name": "Caf\u0065\u0301"}).name == "Caf\u00e9"
