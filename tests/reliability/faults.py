"""The fault classes of the reliability suites, as each CRM emulator serves them:
which request they hit (the second read page, the second write or delete call)
and whether a run must get through them (transient) or stop with the CRM's
message (permanent)."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.emulator_kit.instrumentation import Fault

SF_ERROR = '[{{"message": "{message}", "errorCode": "{code}"}}]'
DV_ERROR = '{{"error": {{"code": "{code}", "message": "{message}"}}}}'


@dataclass(frozen=True)
class FaultClass:
    name: str
    transient: bool
    kind: str
    status: int = 0
    retry_after: int | None = None
    error: tuple[dict, dict] | None = None  # (Salesforce, Dataverse) code and message
    timeout: int | None = None  # the account's timeout for this fault (a hang lasts longer)
    headers: dict | None = None

    def message(self, crm: str) -> str | None:
        return self.error[0 if crm == "salesforce" else 1]["message"] if self.error else None

    def build(self, crm: str, path: str, method: str | None, skip: int) -> Fault:
        body = ""
        if self.error:
            template, values = (SF_ERROR, self.error[0]) if crm == "salesforce" else (DV_ERROR, self.error[1])
            body = template.format(**values)
        return Fault(self.kind, path=path, method=method, status=self.status or 503, body=body,
                     retry_after=self.retry_after, headers=self.headers, seconds=(self.timeout or 0) + 1.5, skip=skip)


def _error(sf_code, sf_message, dv_code, dv_message):
    return ({"code": sf_code, "message": sf_message}, {"code": dv_code, "message": dv_message})


FAULTS = (
    FaultClass("429 Retry-After", True, "status", 429, 1,
               _error("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.",
                      "0x80072321", "Number of concurrent requests exceeded the limit of 52.")),
    FaultClass("503 Retry-After", True, "status", 503, 1,
               _error("SERVER_UNAVAILABLE", "Service unavailable", "0x80040216", "Service unavailable")),
    FaultClass("500", True, "status", 500, None,
               _error("UNKNOWN_EXCEPTION", "An unexpected error occurred.", "0x80040216",
                      "An unexpected error occurred.")),
    FaultClass("hang past the timeout", True, "hang", timeout=5),
    FaultClass("dropped connection", True, "drop"),
    FaultClass("truncated body", True, "truncate"),
    FaultClass("token expired mid-run", True, "status", 401, None,
               _error("INVALID_SESSION_ID", "Session expired or invalid", "0x80041051",
                      "The access token has expired.")),
    FaultClass("daily API limit", False, "status", None, None,
               _error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", "0x80072322",
                      "The daily API request entitlement of this environment is used up.")),
)

# The request each operation's fault hits, skipping the first matching one so the
# fault falls mid-run, after a committed page or batch.
SF_PATHS = {"import": (r"/query", "GET"), "export": (r"/composite/sobjects", "PATCH"),
            "delete": (r"/composite/sobjects", "DELETE"), "create": (r"/composite/sobjects", "POST")}
DV_PATHS = {"import": (r"/contacts\?", "GET"), "export": (r"\$batch", "POST"),
            "delete": (r"\$batch", "POST"), "create": (r"\$batch", "POST")}


def forecast_calls_on_the_path(crm: str, operation: str) -> int:
    """Calls the run's budget forecast makes on the path a fault or a kill point aims at,
    before the operation's own: on Dataverse, a write's first $batch is the forecast's
    (the table's metadata and the entity sets lookups bind to). It counts no rows to
    import: the test budget is far from reached."""
    return 1 if crm == "dynamics" and operation in ("export", "create") else 0


def fault_for(fault_class: FaultClass, crm: str, operation: str, skip: int = 1) -> Fault:
    path, method = (SF_PATHS if crm == "salesforce" else DV_PATHS)[operation]
    skip += forecast_calls_on_the_path(crm, operation)
    fault = fault_class
    if fault_class.name == "daily API limit":
        # Salesforce refuses with 403 REQUEST_LIMIT_EXCEEDED, its usage header at the
        # allocation; Dataverse throttles with a Retry-After far longer than any run
        # should wait (its entitlement resets daily).
        if crm == "salesforce":
            fault = FaultClass(fault_class.name, False, "status", 403, None, fault_class.error,
                               headers={"Sforce-Limit-Info": "api-usage=100000/100000"})
        else:
            fault = FaultClass(fault_class.name, False, "status", 429, 86_400, fault_class.error)
    return fault.build(crm, path, method, skip=skip)
