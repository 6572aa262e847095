"""The Salesforce connector under each fault the emulator injects: throttling and
5xx with Retry-After, hangs, dropped connections, truncated bodies, row locks,
expired sessions; and never a record created twice."""

from __future__ import annotations

import pytest

from connectors.base import AccountConfig
from connectors.errors import AuthenticationFailed, TransientError
from connectors.retry import RetryPolicy
from connectors.salesforce.connector import SalesforceConnector
from connectors.types import ReadRequest, WriteMode

QUERY = r"/services/data/v62\.0/query/\?q="
COLLECTIONS = r"/composite/sobjects"
LOCKED_BODY = '[{"message":"unable to obtain exclusive access to this record","errorCode":"UNABLE_TO_LOCK_ROW"}]'


def read_all(connector, table="Contact") -> list[dict]:
    return [r for page in connector.read(ReadRequest(table, ("LastName",))) for r in page.records]


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_throttling_and_server_errors_are_retried_honouring_retry_after(salesforce_connector, salesforce_emulator, recorded_sleeps, status):
    salesforce_emulator.inject("status", QUERY, status=status, retry_after=7, count=2)
    assert len(read_all(salesforce_connector)) == 4
    assert salesforce_emulator.calls("query") == 1  # the two faulted attempts never reached the org
    assert recorded_sleeps == [5, 5]  # Retry-After 7 s, capped by the policy's 5 s maximum


def test_retries_give_up_after_the_policy_attempts(salesforce_connector, salesforce_emulator, recorded_sleeps):
    salesforce_emulator.inject("status", QUERY, status=503, count=10)
    with pytest.raises(TransientError) as caught:
        read_all(salesforce_connector)
    assert caught.value.status == 503 and len(recorded_sleeps) == 3


def test_a_hanging_request_times_out_and_is_retried(salesforce_config, salesforce_emulator, recorded_sleeps):
    connector = SalesforceConnector(AccountConfig(**{**salesforce_config.__dict__, "timeout": 0.5}),
                                    retry_policy=RetryPolicy(attempts=3, initial_wait=0.01), sleep=recorded_sleeps)
    salesforce_emulator.inject("hang", QUERY, seconds=1.5)
    assert len(read_all(connector)) == 4
    assert len(recorded_sleeps) == 1


@pytest.mark.parametrize("kind", ["drop", "truncate"])
def test_lost_answers_to_reads_are_retried(salesforce_connector, salesforce_emulator, recorded_sleeps, kind):
    salesforce_emulator.generate("Contact", 2500)
    salesforce_emulator.inject(kind, r"/query/01g")
    assert len(read_all(salesforce_connector)) == 2504
    assert len(recorded_sleeps) == 1


def test_truncated_describe_is_retried(salesforce_connector, salesforce_emulator, recorded_sleeps):
    salesforce_emulator.inject("truncate", r"/composite\?|/composite$")
    assert salesforce_connector.describe_table("Contact").name == "Contact"
    assert salesforce_emulator.calls("composite") == 2


def test_a_create_whose_answer_is_lost_is_not_sent_again(salesforce_connector, salesforce_emulator, recorded_sleeps):
    salesforce_emulator.inject("truncate", COLLECTIONS, method="POST")
    results = salesforce_connector.write("Contact", [{"LastName": f"Once {i}"} for i in range(3)], WriteMode.CREATE)
    assert [r.errors[0].code for r in results] == ["CRMSYNC_OUTCOME_UNKNOWN"] * 3
    assert salesforce_emulator.calls("collections_create") == 1 and recorded_sleeps == []
    assert salesforce_emulator.count("Contact") == 4 + 3  # created exactly once, by the only attempt


def test_a_dropped_create_is_reported_unknown_and_not_retried(salesforce_connector, salesforce_emulator, recorded_sleeps):
    salesforce_emulator.inject("drop", COLLECTIONS, method="POST")
    results = salesforce_connector.write("Contact", [{"LastName": "Maybe"}], WriteMode.CREATE)
    assert results[0].success is False and results[0].errors[0].code == "CRMSYNC_OUTCOME_UNKNOWN"
    assert recorded_sleeps == []


def test_a_refused_create_is_retried_because_nothing_was_written(salesforce_connector, salesforce_emulator, recorded_sleeps):
    salesforce_emulator.inject("status", COLLECTIONS, method="POST", status=503, retry_after=1)
    results = salesforce_connector.write("Contact", [{"LastName": "Retried"}], WriteMode.CREATE)
    assert results[0].success is True and recorded_sleeps == [1]
    assert salesforce_emulator.count("Contact") == 5


def test_lost_answers_to_upserts_are_retried(salesforce_connector, salesforce_emulator, recorded_sleeps):
    salesforce_emulator.inject("truncate", COLLECTIONS, method="PATCH")
    results = salesforce_connector.write("Contact", [{"External_Id__c": "U-1", "LastName": "Upsert"}], WriteMode.UPSERT, key="External_Id__c")
    assert results[0].success is True and len(recorded_sleeps) == 1
    assert salesforce_emulator.count("Contact") == 5  # the retry found the record the lost answer had created


def test_row_locks_are_retried(salesforce_connector, salesforce_emulator, recorded_sleeps):
    salesforce_emulator.inject("status", COLLECTIONS, method="PATCH", status=400, body=LOCKED_BODY, count=2)
    results = salesforce_connector.write("Contact", [{"External_Id__c": "CRM-0001", "Title": "x"}], WriteMode.UPSERT, key="External_Id__c")
    assert results[0].success is True and len(recorded_sleeps) == 2


def test_a_retried_delete_reports_success_for_its_own_earlier_deletion(salesforce_connector, salesforce_emulator, recorded_sleeps):
    ids = salesforce_emulator.generate("Contact", 3)
    salesforce_emulator.inject("truncate", COLLECTIONS, method="DELETE")
    results = salesforce_connector.delete("Contact", ids)
    assert [r.success for r in results] == [True, True, True] and len(recorded_sleeps) == 1
    assert salesforce_emulator.count("Contact") == 4


def test_an_expired_session_logs_in_again_once(salesforce_connector, salesforce_emulator):
    salesforce_connector.list_tables()
    salesforce_emulator.expire_sessions()
    assert len(read_all(salesforce_connector)) == 4
    assert salesforce_emulator.calls("soap_login") == 2


def test_sessions_that_keep_expiring_fail_after_one_new_login(salesforce_connector, salesforce_emulator):
    salesforce_emulator.set_token_lifetime(0)
    with pytest.raises(AuthenticationFailed) as caught:
        salesforce_connector.list_tables()
    assert caught.value.code == "INVALID_SESSION_ID"
    assert salesforce_emulator.calls("soap_login") == 2


def test_bulk_result_pages_are_retried(salesforce_config, salesforce_emulator, recorded_sleeps):
    settings = {**salesforce_config.settings, "bulk_read_threshold": "2500"}
    connector = SalesforceConnector(AccountConfig(**{**salesforce_config.__dict__, "settings": settings}),
                                    retry_policy=RetryPolicy(attempts=3, initial_wait=0.01), sleep=recorded_sleeps)
    salesforce_emulator.generate("Contact", 2996)
    salesforce_emulator.inject("status", r"/jobs/query/.*/results", status=503, retry_after=2)
    ids = {r["Id"] for r in read_all(connector)}
    assert len(ids) == 3000 and 2 in recorded_sleeps


def test_a_bulk_result_page_cut_off_midway_is_opened_again_and_read_on_without_repeating_rows(
        salesforce_config, salesforce_emulator, recorded_sleeps):
    settings = {**salesforce_config.settings, "bulk_read_threshold": "2500"}
    connector = SalesforceConnector(AccountConfig(**{**salesforce_config.__dict__, "settings": settings}),
                                    retry_policy=RetryPolicy(attempts=3, initial_wait=0.01), sleep=recorded_sleeps)
    salesforce_emulator.generate("Contact", 2996)
    salesforce_emulator.inject("truncate", r"/jobs/query/.*/results")  # real headers, half the CSV, then closed
    records = read_all(connector)
    bulk = records[2000:]  # after the first REST page, the Bulk API job's rows: all, each once
    assert len(bulk) == len({r["Id"] for r in bulk}) == 3000 == len({r["Id"] for r in records})
    assert salesforce_emulator.calls("bulk_query_results") == 2
