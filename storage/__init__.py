"""Persistence: SQLAlchemy models, the job ledger, migrations and the blob store."""
