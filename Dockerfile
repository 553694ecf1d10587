# Three targets, all pinned by constraints.txt (`make lock`):
#   docker build --target api .     REST API and migrations (`.[api]`): no OCR/ASR models, no PyMuPDF
#   docker build --target worker .  Celery workers (`.[worker]`): pipeline, models, ffmpeg
#   docker build .                  both (`.[api,worker]`): `greenhouse serve` without a broker
FROM python:3.11-slim AS source
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md LICENSE constraints.txt ./
COPY schemas schemas
COPY pipeline pipeline
COPY storage storage
COPY workers workers
COPY api api
COPY cli cli
ENV GREENHOUSE_BLOB_ROOT=/data/blobs

FROM source AS api
RUN pip install --no-cache-dir -c constraints.txt ".[api]"
CMD ["greenhouse", "serve", "--host", "0.0.0.0"]

FROM source AS media
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

FROM media AS worker
RUN pip install --no-cache-dir -c constraints.txt ".[worker]"
CMD ["greenhouse", "worker"]

FROM media AS all
RUN pip install --no-cache-dir -c constraints.txt ".[api,worker]"
CMD ["greenhouse", "serve", "--host", "0.0.0.0"]
