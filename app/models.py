"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from app.architectures.models import Architecture
from app.budgets.models import Budget
from app.db import Base
from app.jobs.models import Job, Metric, Result
from app.teams.models import Team, Token

__all__ = ["Architecture", "Base", "Budget", "Job", "Metric", "Result", "Team", "Token"]
