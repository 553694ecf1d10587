"""Assembling a finished document's result from its jobs (pages, transcript, video timeline)."""
