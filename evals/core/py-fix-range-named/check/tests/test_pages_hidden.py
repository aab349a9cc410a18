from pages import page_count, page_numbers, page_slice


def test_page_numbers_include_last_page():
    assert page_numbers(25, 10) == [1, 2, 3]
    assert page_numbers(30, 10) == [1, 2, 3]


def test_page_numbers_empty_list_has_one_page():
    assert page_numbers(0, 10) == [1]


def test_other_helpers():
    assert page_count(11, 5) == 3
    assert page_slice(list(range(12)), 3, 5) == [10, 11]
