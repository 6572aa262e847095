"""Elapsed time as the console's progress pages show it."""


def duration_text(seconds: int) -> str:
    """0:01:05 for 65 seconds: hours, minutes, seconds."""
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
