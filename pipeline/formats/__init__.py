"""Readers of office, web, text and e-mail formats: a file's own structure into typed blocks."""
