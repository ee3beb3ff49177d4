"""Unit tests for text normalisation (pure, no Spark)."""

import unicodedata

from winnow.text.normalize import normalize_text


def test_nfc_composes_decomposed_accents():
    decomposed = "Cafe\u0301 cre\u0300me"
    out = normalize_text(decomposed)
    assert out == "Café crème"
    assert unicodedata.is_normalized("NFC", out)


def test_whitespace_collapsed_but_paragraphs_kept():
    text = "  Hello\t\tworld \u00a0 again  \r\n\r\n\r\n\r\nNext\u2003para  \n"
    assert normalize_text(text) == "Hello world again\n\nNext para"


def test_single_newlines_and_words_untouched():
    text = "line one\nline two\n\nline three"
    assert normalize_text(text) == text


def test_empty_and_whitespace_only():
    assert normalize_text("") == ""
    assert normalize_text(" \n\t \n") == ""


def test_idempotent():
    text = "A  b\u00a0c\r\n\n\n\nd\u200b e"
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_zero_width_space_and_bom_become_separators():
    assert normalize_text("\ufeffone\u200btwo \u200b three") == "one two three"
