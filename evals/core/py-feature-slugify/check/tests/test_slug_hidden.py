from blog.posts import post_url
from blog.slug import slugify


def test_examples_from_request():
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("  Rust 2024: what's new?  ") == "rust-2024-what-s-new"


def test_runs_of_separators_collapse():
    assert slugify("a -- b__c...d") == "a-b-c-d"
    assert slugify("Tabs\tand\nnewlines") == "tabs-and-newlines"


def test_only_ascii_letters_and_digits_kept():
    assert slugify("Café au lait") == "caf-au-lait"
    assert slugify("C++ & C#") == "c-c"


def test_empty_results():
    assert slugify("") == ""
    assert slugify("!!! ???") == ""


def test_post_url():
    assert post_url(2024, "Hello World") == "/2024/hello-world/"
