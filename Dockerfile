# Three targets, all pinned by constraints.txt (`make lock`):
#   docker build --target api .     REST API and migrations (`.[api]`): no OCR/ASR models, no PyMuPDF
#   docker build --target worker .  Celery workers (`.[worker]`): pipeline, models, ffmpeg
#   docker build .                  both (`.[api,worker]`): `greenhouse serve` without a broker
# Every target runs as the unprivileged user `greenhouse` (uid 10001), which owns /data/blobs.
# Inside the container the API binds 0.0.0.0 (with keys, the default); docker-compose.yml
# publishes it on the host's loopback unless GREENHOUSE_API_BIND says otherwise.
FROM python:3.11-slim AS source
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/greenhouse \
        --shell /usr/sbin/nologin greenhouse \
    && mkdir -p /data/blobs && chown greenhouse:greenhouse /data/blobs
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
USER greenhouse
CMD ["greenhouse", "serve", "--host", "0.0.0.0"]

FROM source AS media
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

FROM media AS worker
RUN pip install --no-cache-dir -c constraints.txt ".[worker]"
USER greenhouse
CMD ["greenhouse", "worker"]

FROM media AS all
RUN pip install --no-cache-dir -c constraints.txt ".[api,worker]"
USER greenhouse
CMD ["greenhouse", "serve", "--host", "0.0.0.0"]
