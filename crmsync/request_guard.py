"""Refuse query strings holding NUL characters before any view sees them.

PostgreSQL cannot hold a NUL in a text value, so a filter such as ``?actor=%00`` would
otherwise reach the database and end as a 500. No name or value of crmsync contains one.
"""

from __future__ import annotations

from django.http import JsonResponse

NUL_MESSAGE = "Query parameters must not contain NUL (\\x00) characters."


class RefuseNulInQueryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offending = sorted({name for name, values in request.GET.lists()
                            if "\x00" in name or any("\x00" in value for value in values)})
        if offending:
            return JsonResponse({name.replace("\x00", "\\x00"): [NUL_MESSAGE] for name in offending}, status=400)
        return self.get_response(request)
