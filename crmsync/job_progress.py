"""What the console shows of a background job (a schema generation, an enumeration
sync): percent done, whether it ended, and for how long it has run."""

from __future__ import annotations

from django.utils import timezone

from crmsync.durations import duration_text


class JobProgress:
    """For models with status (a Status holding DONE and FAILED), total, done,
    created_at, started_at and finished_at."""

    @property
    def progress(self) -> int:
        """Percent done, for the progress bar."""
        if self.status == self.Status.DONE:
            return 100
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def elapsed(self) -> int:
        """Seconds since the job started (or was queued), up to its end."""
        start = self.started_at or self.created_at
        return max(0, int(((self.finished_at or timezone.now()) - start).total_seconds()))

    @property
    def elapsed_text(self) -> str:
        return duration_text(self.elapsed)
