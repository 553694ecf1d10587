"""Test support: real services, generated fixtures and worker processes."""
