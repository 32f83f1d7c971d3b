"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from app.architectures.models import Architecture
from app.budgets.models import Budget
from app.db import Base
from app.idempotency.models import IdempotencyKey
from app.jobs.models import Job, Metric, Result
from app.profiles.models import DeviceProfile
from app.studies.models import Study, StudyModel, StudyRun
from app.teams.models import Team, Token

__all__ = [
    "Architecture",
    "Base",
    "Budget",
    "DeviceProfile",
    "IdempotencyKey",
    "Job",
    "Metric",
    "Result",
    "Study",
    "StudyModel",
    "StudyRun",
    "Team",
    "Token",
]
