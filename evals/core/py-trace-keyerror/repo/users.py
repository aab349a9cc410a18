"""Formatting of user records for the admin listing."""


def display_name(user):
    """Return 'First Last' or, when there is no last name, just 'First'."""
    first = user["name"]
    last = user.get("surname", "")
    return f"{first} {last}".strip()


def user_line(user):
    """Return one line of the listing: '#ID Name <email>'."""
    return f"#{user['id']} {display_name(user)} <{user['emial']}>"
