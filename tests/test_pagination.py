"""The page object of listings that fetch their own rows (app/pagination.py)."""

from hypothesis import given
from hypothesis import strategies as st

from app.pagination import Page


class _Reference:
    """Flask-SQLAlchemy's page links for the same numbers: the behaviour readers know."""

    def __init__(self, page: int, pages: int):
        self.page, self.pages = page, pages

    from flask_sqlalchemy.pagination import Pagination as _library

    iter_pages = _library.iter_pages


@given(
    total=st.integers(0, 500),
    per_page=st.integers(1, 30),
    data=st.data(),
    # The page links' own choice (templates/_pagination.html) and the library's defaults.
    # With other edges, where the edge and the window ranges overlap, Flask-SQLAlchemy
    # drops or adds a gap marker (e.g. 1, 2, None, 3): there the union here is the intent.
    edges=st.sampled_from([(1, 2, 2, 1), (2, 2, 4, 2)]),
)
def test_page_links_match_flask_sqlalchemy(total, per_page, data, edges):
    pages = -(-total // per_page)
    number = data.draw(st.integers(1, max(pages, 1)))
    page = Page(items=[], page=number, per_page=per_page, total=total)
    options = dict(
        zip(("left_edge", "left_current", "right_current", "right_edge"), edges, strict=True)
    )
    assert page.pages == pages
    assert list(page.iter_pages(**options)) == list(_Reference(number, pages).iter_pages(**options))


def test_neighbours_of_a_middle_page():
    page = Page(items=[1], page=3, per_page=10, total=45)
    assert (page.pages, page.has_prev, page.prev_num, page.has_next, page.next_num) == (
        5, True, 2, True, 4,
    )  # fmt: skip
    last = Page(items=[1], page=5, per_page=10, total=45)
    assert (last.has_next, last.next_num) == (False, None)
    assert Page(items=[], page=1, per_page=10, total=0).pages == 0
