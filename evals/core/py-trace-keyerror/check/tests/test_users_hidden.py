import subprocess
import sys

from users import display_name, user_line


def test_user_line_with_surname():
    user = {"id": 7, "name": "Ada", "surname": "Lovelace", "email": "ada@example.org"}
    assert user_line(user) == "#7 Ada Lovelace <ada@example.org>"


def test_user_line_without_surname():
    user = {"id": 2, "name": "Linus", "email": "l@example.org"}
    assert user_line(user) == "#2 Linus <l@example.org>"
    assert display_name(user) == "Linus"


def test_script_runs():
    out = subprocess.run(
        [sys.executable, "list_users.py"], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [
        "#1 Ada Lovelace <ada@example.org>",
        "#2 Linus <linus@example.org>",
    ]
