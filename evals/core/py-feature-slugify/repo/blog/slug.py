"""URL slugs for blog post titles."""


def slugify(title):
    """Turn a post title into a URL slug."""
    raise NotImplementedError
