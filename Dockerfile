# One image for the API, the migrate step and the workers (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/isocost

# PyTorch's Linux wheels on PyPI carry the CUDA runtime; GPU workers need only the host's driver.
RUN pip install "torch>=2.3"
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY worker ./worker
COPY migrations ./migrations
COPY frontend ./frontend
RUN pip install -e . && useradd --create-home --uid 1000 isocost && mkdir -p /data /checkpoints && chown isocost /checkpoints
USER isocost

EXPOSE 8000
# The API in several processes, with slow clients timed out (README, "Production"; app.serve.run_api).
CMD ["isocost", "api", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
