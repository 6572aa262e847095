"""An activity's bookmark as stored text: the modification stamp reached (`since`)
and, where the CRM offers one, a token to resume from (a Dataverse delta link)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Bookmark:
    since: dt.datetime | None = None
    token: str | None = None

    def advanced(self, since: dt.datetime | None, token: str | None) -> Bookmark:
        return Bookmark(since or self.since, token or self.token)


def dump(bookmark: Bookmark) -> str:
    return json.dumps({"since": bookmark.since.isoformat() if bookmark.since else None, "token": bookmark.token})


def load(text: str) -> Bookmark:
    if not text:
        return Bookmark()
    data = json.loads(text)
    since = dt.datetime.fromisoformat(data["since"]) if data.get("since") else None
    return Bookmark(since, data.get("token"))


def dump_deletions(value) -> str:
    """Deletion watermarks are a date-time or a delta link."""
    return dump(Bookmark(value, None) if isinstance(value, dt.datetime) else Bookmark(None, value))


def load_deletions(text: str):
    bookmark = load(text)
    return bookmark.token or bookmark.since
