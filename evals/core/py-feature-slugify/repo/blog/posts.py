"""Post records and their URLs."""

from blog.slug import slugify


def post_url(year, title):
    """Return the path of a post, e.g. '/2024/hello-world/'."""
    return f"/{year}/{slugify(title)}/"
