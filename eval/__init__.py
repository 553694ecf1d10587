"""Evaluation scripts run against the shared corpus (never by the test suite)."""
