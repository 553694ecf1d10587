"""Exports of document results as rows: the tables and their fixed columns (`layout`), a
result flattened into rows (`rows`), and the rows encoded as JSONL, CSV or Parquet
(`encoders`). Pure functions, shared by `GET /v1/exports` and `greenhouse export`."""
