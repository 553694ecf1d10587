FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY schemas schemas
COPY pipeline pipeline
COPY storage storage
COPY workers workers
COPY api api
COPY cli cli
RUN pip install --no-cache-dir .
ENV GREENHOUSE_BLOB_ROOT=/data/blobs
CMD ["greenhouse", "serve", "--host", "0.0.0.0"]
