"""Prints the admin listing of users."""

from users import user_line

USERS = [
    {"id": 1, "name": "Ada", "surname": "Lovelace", "email": "ada@example.org"},
    {"id": 2, "name": "Linus", "email": "linus@example.org"},
]


def main():
    for user in USERS:
        print(user_line(user))


if __name__ == "__main__":
    main()
