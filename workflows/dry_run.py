"""Dry runs (filled in below)."""
