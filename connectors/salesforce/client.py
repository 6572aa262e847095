"""The Salesforce API as the connector uses it: one short method per endpoint over
simple-salesforce, with logins, call counting, the daily-quota guard, retries
with backoff and one re-login on an expired session. Knows nothing of Django."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import _Bulk2Client
from simple_salesforce.util import call_salesforce, date_to_iso8601

from connectors.base import AccountConfig
from connectors.errors import ApiLimitReached, TransientError
from connectors.http import build_session, streamed_chunks
from connectors.retry import RetryPolicy, call_with_retries

from .faults import OutcomeUnknown, SessionExpired, translate
from .login import LoginSettings, login
from .transport import mount

T = TypeVar("T")


@dataclass(frozen=True)
class BulkResultPage:
    locator: str  # of the next page; "" after the last
    lines: Iterator[str]


class SalesforceClient:
    COLLECTIONS = "composite/sobjects"
    COMPOSITE = "composite"

    def __init__(self, config: AccountConfig, settings: LoginSettings, *, budget_share: float,
                 policy: RetryPolicy = RetryPolicy(), sleep=None):
        self.settings = settings
        self.session = build_session(config)
        self.meter = mount(self.session, config.timeout)
        self.budget_share = budget_share
        self.policy = policy
        self.sleep = sleep
        self._sf: Salesforce | None = None

    # --- session -----------------------------------------------------------------
    @property
    def version(self) -> str:
        return self.settings.version

    def connect(self) -> Salesforce:
        session_id, instance = self.call(lambda: login(self.session, self.settings), logged_in=False)
        self._sf = Salesforce(session_id=session_id, instance=instance, version=self.version, session=self.session,
                              parse_float=Decimal)
        return self._sf

    @property
    def sf(self) -> Salesforce:
        return self._sf or self.connect()

    @property
    def instance_url(self) -> str:
        return f"https://{self.sf.sf_instance}"

    def close(self) -> None:
        self.session.close()

    # --- calling -----------------------------------------------------------------
    def call(self, func: Callable[[], T], *, idempotent: bool = True, logged_in: bool = True) -> T:
        """Run one API call: quota guard, retries on transient failures (only those
        that surely did nothing when the call is not idempotent), one re-login."""
        def attempt() -> T:
            self.check_budget()
            try:
                return self._translated(func) if not logged_in else self._with_relogin(func)
            except TransientError as error:
                if not idempotent and getattr(error, "outcome_unknown", False):
                    raise OutcomeUnknown(f"the answer was lost, so the outcome is unknown: {error.message}", code="OUTCOME_UNKNOWN") from error
                raise
        return call_with_retries(attempt, self.policy, sleep=self.sleep)

    def _with_relogin(self, func: Callable[[], T]) -> T:
        self.sf  # log in first if needed
        try:
            return self._translated(func)
        except SessionExpired:
            self.connect()
            return self._translated(func)

    def _translated(self, func: Callable[[], T]) -> T:
        try:
            return func()
        except Exception as exc:
            raise translate(exc, self.meter) from exc

    def check_budget(self) -> None:
        used, limit = self.meter.used, self.meter.limit
        if used is None or not limit or used < limit * self.budget_share:
            return
        raise ApiLimitReached(
            f"Stopped before passing {self.budget_share:.0%} of the org's daily API allocation: {used} of {limit} "
            "requests are used (Salesforce counts over a rolling 24 hours). The rest is left for the org's other "
            "integrations; the run can resume when usage falls.", code="CRMSYNC_API_BUDGET")

    # --- endpoints ---------------------------------------------------------------
    def limits(self) -> dict:
        return self.call(lambda: self.sf.limits())

    def describe_global(self) -> dict:
        return self.call(lambda: self.sf.describe())

    def composite(self, subrequests: list[dict]) -> list[dict]:
        body = {"allOrNone": False, "compositeRequest": subrequests}
        return self.call(lambda: self.sf.restful(self.COMPOSITE, method="POST", data=json.dumps(body)))["compositeResponse"]

    def query(self, soql: str, batch_size: int, include_deleted: bool = False) -> dict:
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"}
        return self.call(lambda: self.sf.query(soql, include_deleted=include_deleted, headers=headers))

    def query_more(self, next_url: str, batch_size: int) -> dict:
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"}
        return self.call(lambda: self.sf.query_more(next_url, identifier_is_url=True, headers=headers))

    def get_deleted(self, table: str, start: datetime, end: datetime) -> dict:
        path = f"sobjects/{table}/deleted/?start={date_to_iso8601(start)}&end={date_to_iso8601(end)}"
        return self.call(lambda: self.sf.restful(path))

    def create_records(self, records: list[dict], all_or_none: bool) -> list[dict]:
        body = json.dumps({"allOrNone": all_or_none, "records": records})
        return self.call(lambda: self.sf.restful(self.COLLECTIONS, method="POST", data=body), idempotent=False)

    def update_records(self, records: list[dict], all_or_none: bool) -> list[dict]:
        body = json.dumps({"allOrNone": all_or_none, "records": records})
        return self.call(lambda: self.sf.restful(self.COLLECTIONS, method="PATCH", data=body))

    def upsert_records(self, table: str, key: str, records: list[dict], all_or_none: bool) -> list[dict]:
        body = json.dumps({"allOrNone": all_or_none, "records": records})
        return self.call(lambda: self.sf.restful(f"{self.COLLECTIONS}/{table}/{key}", method="PATCH", data=body))

    def delete_records(self, ids: list[str], attempts: list[int]) -> list[dict]:
        def delete() -> list[dict]:
            attempts.append(1)
            params = {"ids": ",".join(ids), "allOrNone": "false"}
            return self.sf.restful(self.COLLECTIONS, method="DELETE", params=params)
        return self.call(delete)

    def bulk_results(self, job_id: str, locator: str, max_records: int) -> BulkResultPage:
        """One page of a Bulk API 2.0 query job's results (GET .../results with
        maxRecords and the Sforce-Locator of the page before), its body left on the
        wire: the caller reads the CSV as it arrives, so a page of 50,000 rows is
        never held whole."""
        def open_page() -> requests.Response:
            params = {"maxRecords": max_records, **({"locator": locator} if locator else {})}
            headers = {"Authorization": f"Bearer {self.sf.session_id}", "Accept": "text/csv"}
            return call_salesforce(f"{self.sf.bulk2_url}query/{job_id}/results", "GET", self.session, headers,
                                   params=params, stream=True, verify=self.session.verify)
        response = self.call(open_page)
        following = response.headers.get("Sforce-Locator", "")
        return BulkResultPage("" if following == "null" else following, self._csv_lines(response))

    def _csv_lines(self, response: requests.Response) -> Iterator[str]:
        """The body's lines, ends kept (csv joins quoted line breaks), NUL bytes
        dropped (as simple-salesforce does); a broken stream as a connector error."""
        decoder, pending = codecs.getincrementaldecoder("utf-8")(), ""
        try:
            for chunk in streamed_chunks(response):
                pending += decoder.decode(chunk).replace("\x00", "")
                *lines, pending = pending.split("\n")
                yield from (line + "\n" for line in lines)
            pending += decoder.decode(b"", final=True)
        except requests.RequestException as exc:
            raise translate(exc, self.meter) from exc
        finally:
            response.close()
        if pending:
            yield pending

    def bulk(self, table: str) -> _Bulk2Client:
        """simple-salesforce's Bulk API 2.0 client, bound to the current session."""
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.sf.session_id}", "X-PrettyPrint": "1"}
        return _Bulk2Client(table, self.sf.bulk2_url, headers, self.session)

    def bulk_call(self, table: str, method: str, *args: Any, idempotent: bool = True, **kwargs: Any) -> Any:
        """One Bulk API 2.0 call; rebuilt after a re-login so it carries the new token."""
        return self.call(lambda: getattr(self.bulk(table), method)(*args, **kwargs), idempotent=idempotent)
