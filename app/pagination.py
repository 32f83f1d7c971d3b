"""Pages of a list: the envelope every list endpoint returns and the query that fills it.

The request side (reading `page` and `per_page` from the query string) is `app.deps.PageDep`;
this module has no web imports, so services use it freely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_PAGE = 10**6  # far beyond any real list; keeps OFFSET within a 64-bit integer
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20


@dataclass(frozen=True)
class PageParams:
    """Which page (from 1) and how many items a page holds."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def envelope(self, items: list[T], total: int) -> Page[T]:
        return Page(items=items, total=total, page=self.page, per_page=self.per_page)


class Page(BaseModel, Generic[T]):
    """`{"items": [...], "total": N, "page": P, "per_page": K}` (docs/api.md, "Pagination")."""

    items: list[T]
    total: int
    page: int
    per_page: int


def paginate(session: Session, query: Select[Any], params: PageParams) -> tuple[Sequence[Row[Any]], int]:
    """One page of the ordered `query`'s rows, and how many rows there are in all."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    offset = (params.page - 1) * params.per_page
    return session.execute(query.offset(offset).limit(params.per_page)).all(), total
