"""Account sign-up."""

import re

ACCOUNTS = {}


def register(username, email):
    """Create an account. Returns an error message, or None on success."""
    if not re.fullmatch(r"[a-z0-9_]{3,20}", username):
        return "invalid username"
    email = email.strip().lower()
    if not re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}", email):
        return "invalid email"
    if username in ACCOUNTS:
        return "username taken"
    ACCOUNTS[username] = email
    return None
