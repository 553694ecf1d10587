"""Engines: what turns one chunk on one tier into an extraction, and the registry of them."""
