"""Small OData protocol helpers shared by the emulator's handlers: JSON responses
with the OData headers, Prefer header parsing, $select/$expand splitting, key
segments such as (guid) or (name='value') and paging cookies."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from dataclasses import dataclass

from werkzeug.wrappers import Response

from .errors import bad_request

ODATA_HEADERS = {"OData-Version": "4.0"}
_KEY_PAIR = re.compile(r"\s*([A-Za-z_]\w*)\s*=\s*('(?:[^']|'')*'|[^,]+)\s*(?:,|$)")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_COOKIE = re.compile(r'pagingcookie="([^"]*)"')
MAX_PAGE_SIZE = 5000


def json_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers={**ODATA_HEADERS, **(headers or {})},
                    content_type="application/json; odata.metadata=minimal")


def empty_response(status: int = 204, headers: dict | None = None) -> Response:
    return Response(status=status, headers={**ODATA_HEADERS, **(headers or {})})


@dataclass
class Preferences:
    max_page_size: int = MAX_PAGE_SIZE
    track_changes: bool = False
    annotations: bool = False
    return_representation: bool = False
    continue_on_error: bool = False

    def applied(self, page_size_asked: bool) -> str:
        applied = []
        if page_size_asked:
            applied.append(f"odata.maxpagesize={self.max_page_size}")
        if self.annotations:
            applied.append('odata.include-annotations="*"')
        return ",".join(applied)


def parse_prefer(header: str) -> Preferences:
    preferences = Preferences()
    for item in (part.strip() for part in header.split(",")):
        name, _, value = item.partition("=")
        name = name.strip().lower()
        if name == "odata.maxpagesize" and value.strip().isdigit():
            preferences.max_page_size = max(1, min(int(value), MAX_PAGE_SIZE))
        preferences.track_changes |= name == "odata.track-changes"
        preferences.annotations |= name == "odata.include-annotations"
        preferences.return_representation |= item.replace(" ", "") == "return=representation"
        preferences.continue_on_error |= name == "odata.continue-on-error"
    return preferences


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on a separator outside parentheses, e.g. $expand=A($select=x,y),B."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == separator and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def parse_expand(text: str) -> dict[str, dict[str, str]]:
    """{navigation: {"$select": "...", ...}} from an $expand value."""
    expanded = {}
    for item in split_top_level(text or ""):
        name, _, options = item.partition("(")
        nested = {}
        for option in split_top_level(options.rstrip(")"), ";"):
            key, _, value = option.partition("=")
            nested[key.strip()] = value.strip()
        expanded[name.strip()] = nested
    return expanded


def parse_key(text: str) -> str | dict[str, str]:
    """A GUID for (guid), or {name: value} for an alternate key (name='value',...)."""
    text = text.strip()
    if _GUID.match(text):
        return text.lower()
    values, position = {}, 0
    while position < len(text):
        match = _KEY_PAIR.match(text, position)
        if not match:
            raise bad_request(f"Invalid key segment '({text})'.")
        values[match.group(1)] = _key_value(match.group(2).strip())
        position = match.end()
    if not values:
        raise bad_request(f"Invalid key segment '({text})'.")
    return values


def _key_value(raw: str):
    if raw.startswith("'"):
        return raw[1:-1].replace("''", "'")
    return int(raw) if raw.lstrip("-").isdigit() else raw


def make_skiptoken(state: dict, page_number: int) -> str:
    cookie = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
    return f'<cookie pagenumber="{page_number}" pagingcookie="{urllib.parse.quote(cookie)}" istracking="False" />'


def read_skiptoken(token: str) -> dict:
    match = _COOKIE.search(token or "")
    if not match:
        raise bad_request("The $skiptoken is not valid.")
    try:
        return json.loads(base64.urlsafe_b64decode(urllib.parse.unquote(match.group(1))))
    except ValueError:
        raise bad_request("The $skiptoken is not valid.") from None


def with_query(url: str, params: dict) -> str:
    return url + "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="$,'()=")
