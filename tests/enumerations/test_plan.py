"""The pure plan of one enumeration sync: what Replace and non-Replace change,
computed from in-test CRM enumerations and local values, without a database."""

from connectors.types import Enumeration as Crm
from connectors.types import EnumerationValue as V
from wizard.enumeration_plan import LocalValue as L
from wizard.enumeration_plan import Mapping, plan

LEAD_SOURCE = Crm("Contact.LeadSource", "Lead Source", (
    V("Web", "Web"), V("Phone Inquiry", "Phone Inquiry"), V("Trade Show", "Salon"),
    V("Word of mouth", "Bouche-à-oreille", active=False),
))
LOCAL = [L("Web", "Web", 0), L("Trade Show", "Trade Show", 1), L("Shop", "In the shop", 2)]
NO_ROWS = lambda value: 0  # noqa: E731


SOURCE = object()


def plan_of(replace, local=LOCAL, rows=NO_ROWS, crm=LEAD_SOURCE, current=SOURCE):
    current = current if current is not SOURCE else {"source_key": "Contact.LeadSource", "account_id": 1,
                                                   "global_name": "", "multi_select": False, "restricted": False,
                                                   "controlling_field": ""}
    return plan(crm, Mapping(crm.key, "leadSource", replace), local, current, rows, account_id=1)


def test_without_replace_crm_values_are_added_and_relabelled_and_local_only_values_kept():
    result = plan_of(replace=False)
    assert {c.value: c.kinds for c in result.changes} == {
        "Phone Inquiry": ("added",), "Trade Show": ("relabelled",), "Word of mouth": ("added",)}
    assert result.counts() == {"added": 2, "relabelled": 1, "deactivated": 0, "reactivated": 0, "removed": 0,
                               "updated": 0, "reordered": 0, "rows_in_use": 0}
    added = {c.value: c.after for c in result.changes if c.kinds == ("added",)}
    assert (added["Phone Inquiry"].position, added["Word of mouth"].position) == (3, 4)
    assert added["Word of mouth"].active is False


def test_with_replace_local_values_become_exactly_the_crm_ones_in_its_order():
    result = plan_of(replace=True)
    assert {c.value: c.kinds for c in result.changes} == {
        "Phone Inquiry": ("added",), "Trade Show": ("relabelled", "reordered"), "Word of mouth": ("added",),
        "Shop": ("removed",)}
    assert [c.after.position for c in result.changes if c.after] == [1, 2, 3]


def test_replace_deactivates_a_local_only_value_rows_still_store_and_counts_them():
    result = plan_of(replace=True, rows=lambda value: 7 if value == "Shop" else 0)
    shop = next(c for c in result.changes if c.value == "Shop")
    # Kept after the CRM's four values.
    assert (shop.kinds, shop.after.active, shop.after.position, shop.rows) == (("deactivated", "reordered"), False, 4, 7)
    assert result.counts()["removed"] == 0 and result.counts()["rows_in_use"] == 7
    # Once inactive it is kept as it is: no change, still reported as in use.
    again = plan_of(replace=True, local=[L("Shop", "In the shop", 4, active=False)], rows=lambda v: 7)
    assert [c.value for c in again.changes if c.value == "Shop"] == []
    assert [(c.value, c.rows) for c in again.in_use] == [("Shop", 7)]


def test_a_plan_applied_to_its_own_result_is_empty():
    first = plan_of(replace=True)
    after = [c.after for c in first.changes if c.after] + [L("Web", "Web", 0)]
    second = plan_of(replace=True, local=after)
    assert (second.changes, second.attributes, second.changed) == ([], {}, False)


def test_without_replace_local_translations_are_kept_and_crm_ones_updated():
    crm = Crm("account.industrycode", "Industry", (V("1", "Accounting", labels={"1033": "Accounting", "1036": "Compta"}),))
    local = [L("1", "Accounting", 0, labels={"1036": "Comptabilité", "de": "Buchhaltung"})]
    merged = plan_of(False, local=local, crm=crm, current={}).changes[0].after.labels
    replaced = plan_of(True, local=local, crm=crm, current={}).changes[0].after.labels
    assert merged == {"1036": "Compta", "de": "Buchhaltung", "1033": "Accounting"}
    assert replaced == {"1033": "Accounting", "1036": "Compta"}


def test_dependent_values_keep_their_controlling_values():
    crm = Crm("Contact.Sub_Region__c", "Sous-région", (V("France", "France", valid_for=("EMEA",)),),
              controlling_field="Region__c")
    result = plan_of(False, local=[L("France", "France", 0, valid_for=("AMER",))], crm=crm, current=None)
    assert result.changes[0].kinds == ("updated",) and result.changes[0].after.valid_for == ("EMEA",)
    assert result.create and result.attributes["controlling_field"] == "Region__c"


def test_a_second_source_does_not_overwrite_the_first_sources_attributes():
    crm = Crm("Lead.LeadSource", "Lead Source", LEAD_SOURCE.values, multi_select=True)
    assert plan_of(False, crm=crm).attributes == {}
