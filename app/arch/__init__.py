"""The paper's domain in pure Python: no torch, FastAPI or SQLAlchemy here."""
