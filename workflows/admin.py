"""Workflows in the console: activities inline, Run now, runs with live progress,
logs and rejects (downloadable as CSV, retryable)."""
