import pathlib

import invite
import signup
from validators import is_valid_email

GOOD = ["ann@example.com", "a.b+tag@mail.example.co.uk", "x_y%z@host-1.io"]
BAD = ["", "ann", "ann@", "@example.com", "ann@example", "ann@example.c",
       "bob@example.com extra", "a b@example.com", "ann@exa_mple.com"]


def test_is_valid_email():
    for address in GOOD:
        assert is_valid_email(address) is True, address
    for address in BAD:
        assert is_valid_email(address) is False, address


def test_pattern_lives_only_in_validators():
    for name in ("signup.py", "invite.py"):
        source = pathlib.Path(name).read_text()
        assert "is_valid_email" in source, name
        assert "[a-z0-9._%+-]+@" not in source, name
        assert "@[a-z0-9-]" not in source, name


def test_signup_behaviour():
    signup.ACCOUNTS.clear()
    assert signup.register("ann_1", "  Ann@Example.com ") is None
    assert signup.ACCOUNTS["ann_1"] == "ann@example.com"
    assert signup.register("ann_1", "other@example.com") == "username taken"
    assert signup.register("Bad Name", "x@example.com") == "invalid username"
    assert signup.register("bob", "bob@example.com extra") == "invalid email"


def test_invite_uses_the_strict_rule():
    invite.SENT.clear()
    assert invite.invite("core", " Dev@Example.org") is True
    assert invite.SENT == [("core", "dev@example.org")]
    assert invite.invite("core", "bob@example.com extra") is False
    assert invite.invite("core", "nobody") is False
    assert invite.SENT == [("core", "dev@example.org")]
