"""Team invitations by email."""

import re

SENT = []


def invite(team, email):
    """Queue an invitation mail. Returns False when the address is invalid."""
    email = email.strip().lower()
    if not re.match(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}", email):
        return False
    SENT.append((team, email))
    return True
