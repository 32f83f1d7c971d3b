"""Field types shared by the API's request models and parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field, StringConstraints

from app.arch.spec import Limits
from app.arch.text import Printable

# Row ids are 32-bit integers on PostgreSQL; a larger id in a path, query or body must be a 422
# naming the field, not a database overflow error (a 500).
MAX_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]

# Printable is the one rule for every string a client sends (docs/design.md, "Input"). It lives
# in the pure engine, so that spec names and the workers' job parameters share it; routers and
# schemas take it from here.
Trimmed = StringConstraints(strip_whitespace=True, min_length=1)
Name = Annotated[str, Trimmed, Field(max_length=Limits.max_name_length), Printable]
