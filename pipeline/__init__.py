"""The processing library: sniff -> chunk -> engine -> validate. Imports schemas only."""
