"""Celery app, thin tasks, the lease reaper and the embedded in-process executor."""
