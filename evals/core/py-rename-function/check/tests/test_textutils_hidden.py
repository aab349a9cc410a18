import pathlib

import textutils


def test_count_words_exists():
    assert textutils.count_words("one two  three\nfour") == 4
    assert textutils.count_words("") == 0


def test_old_name_is_gone():
    assert not hasattr(textutils, "cnt_words")
    source = pathlib.Path(textutils.__file__).read_text()
    assert "cnt_words" not in source


def test_summary_still_works():
    assert textutils.summary("a b\nc\n") == "2 lines, 3 words"
    assert textutils.cnt_lines("x") == 1
