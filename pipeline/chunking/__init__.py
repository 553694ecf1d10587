"""Chunking: cutting a file into chunk descriptors (pages, images, keyframes, speech segments)."""
