"""The demo org's metadata: standard objects marketing sync uses, and a custom
object, with standard and custom picklists (restricted, dependent, inactive
values, multi-select) and labels with accents and CJK characters."""

from __future__ import annotations

from .fields import (
    boolean, date, datetime_, email, integer, long_text, multipicklist, number, phone, picklist,
    reference, system_fields, text, url,
)
from .schema import FieldDef, ObjectDef, PicklistValue, Schema

LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Trade Show", PicklistValue("Word of mouth", "Bouche-à-oreille", active=False))
INDUSTRIES = ("Agriculture", "Banking", "Education", "Energy", "Healthcare", "Retail", "Technology")
REGIONS = (("EMEA", "Europe, Moyen-Orient, Afrique"), ("AMER", "Americas"), ("APAC", "アジア太平洋"))
SUB_REGIONS = (
    PicklistValue("France", "France", valid_for=("EMEA",)),
    PicklistValue("Deutschland", "Deutschland", valid_for=("EMEA",)),
    PicklistValue("USA", "United States", valid_for=("AMER",)),
    PicklistValue("Brasil", "Brasil", valid_for=("AMER",)),
    PicklistValue("日本", "日本", valid_for=("APAC",)),
    PicklistValue("Singapore", "Singapore", valid_for=("APAC",)),
)
INTERESTS = (("Running", "Course à pied"), ("Cycling", "Cyclisme"), ("Swimming", "Natation"), ("Hiking", "Randonnée"), ("Yoga", "ヨガ"))


def name_field(label: str = "Name", length: int = 80) -> FieldDef:
    return FieldDef("Name", label, "string", length=length, nillable=False, name_field=True)


def account() -> ObjectDef:
    return ObjectDef("Account", "Account", "Accounts", "001", fields=system_fields() + [
        FieldDef("Name", "Account Name", "string", length=255, nillable=False, name_field=True),
        picklist("Type", "Account Type", ("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other")),
        picklist("Industry", "Industry", INDUSTRIES),
        picklist("Rating", "Account Rating", ("Hot", "Warm", "Cold")),
        number("AnnualRevenue", "Annual Revenue", "currency", 18, 0),
        integer("NumberOfEmployees", "Employees"),
        url("Website", "Website"), phone("Phone", "Account Phone"),
        text("BillingCity", "Billing City", 40), text("BillingCountry", "Billing Country", 80),
        long_text("Description", "Account Description"),
        text("Account_Number__c", "Numéro de compte", 32, external_id=True, unique=True),
    ])


def contact() -> ObjectDef:
    return ObjectDef("Contact", "Contact", "Contacts", "003", fields=system_fields() + [
        reference("AccountId", "Account ID", "Account", "Account"),
        text("LastName", "Last Name", 80, nillable=False),
        text("FirstName", "First Name", 40),
        picklist("Salutation", "Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")),
        FieldDef("Name", "Full Name", "string", length=121, nillable=False, createable=False, updateable=False, name_field=True),
        text("Title", "Title", 128), email("Email", "Email"), phone("Phone", "Business Phone"), phone("MobilePhone", "Mobile Phone"),
        date("Birthdate", "Birthdate"),
        picklist("LeadSource", "Lead Source", LEAD_SOURCES),
        long_text("Description", "Contact Description"),
        boolean("HasOptedOutOfEmail", "Email Opt Out"), boolean("DoNotCall", "Do Not Call"),
        text("MailingCity", "Mailing City", 40), text("MailingCountry", "Mailing Country", 80),
        picklist("Level__c", "Niveau", ("Primary", "Secondary", "Tertiary"), restricted=True),
        multipicklist("Interests__c", "Centres d'intérêt", INTERESTS),
        picklist("Region__c", "Région", REGIONS),
        picklist("Sub_Region__c", "Sous-région", SUB_REGIONS, controller="Region__c"),
        number("Lifetime_Value__c", "Lifetime Value", "currency", 16, 2),
        number("Discount__c", "Remise", "percent", 5, 2),
        number("Score__c", "Score", "double", 10, 4),
        integer("Visit_Count__c", "訪問回数"),
        datetime_("Last_Purchase__c", "Dernier achat"),
        boolean("VIP__c", "VIP"),
        text("External_Id__c", "External ID", 64, external_id=True, unique=True),
    ])


def lead() -> ObjectDef:
    return ObjectDef("Lead", "Lead", "Leads", "00Q", fields=system_fields() + [
        text("LastName", "Last Name", 80, nillable=False), text("FirstName", "First Name", 40),
        FieldDef("Name", "Full Name", "string", length=121, nillable=False, createable=False, updateable=False, name_field=True),
        text("Company", "Company", 255, nillable=False), email("Email", "Email"), phone("Phone", "Phone"),
        FieldDef("Status", "Lead Status", "picklist", length=255, nillable=False, defaulted_on_create=True, restricted=True,
                 picklist=(PicklistValue("Open - Not Contacted", default=True), PicklistValue("Working - Contacted"),
                           PicklistValue("Closed - Converted"), PicklistValue("Closed - Not Converted"))),
        picklist("LeadSource", "Lead Source", LEAD_SOURCES), picklist("Industry", "Industry", INDUSTRIES),
        picklist("Rating", "Rating", ("Hot", "Warm", "Cold")), boolean("IsConverted", "Converted"),
        text("External_Id__c", "External ID", 64, external_id=True, unique=True),
    ])


def opportunity() -> ObjectDef:
    return ObjectDef("Opportunity", "Opportunity", "Opportunities", "006", fields=system_fields() + [
        FieldDef("Name", "Name", "string", length=120, nillable=False, name_field=True),
        reference("AccountId", "Account ID", "Account", "Account"),
        picklist("StageName", "Stage", ("Prospecting", "Qualification", "Proposal/Price Quote", "Closed Won", "Closed Lost"), nillable=False),
        date("CloseDate", "Close Date", nillable=False),
        number("Amount", "Amount", "currency", 16, 2), number("Probability", "Probability (%)", "percent", 3, 0),
        picklist("Type", "Opportunity Type", ("New Business", "Existing Business")),
        picklist("LeadSource", "Lead Source", LEAD_SOURCES),
    ])


def campaign() -> ObjectDef:
    return ObjectDef("Campaign", "Campaign", "Campaigns", "701", fields=system_fields() + [
        name_field("Name", 80),
        picklist("Type", "Type", ("Email", "Webinar", "Conference", "Direct Mail")),
        picklist("Status", "Status", ("Planned", "In Progress", "Completed", "Aborted")),
        date("StartDate", "Start Date"), date("EndDate", "End Date"), boolean("IsActive", "Active"),
        number("BudgetedCost", "Budgeted Cost in Campaign", "currency", 18, 0),
    ])


def campaign_member() -> ObjectDef:
    return ObjectDef("CampaignMember", "Campaign Member", "Campaign Members", "00v", fields=system_fields() + [
        reference("CampaignId", "Campaign ID", "Campaign", "Campaign", nillable=False, updateable=False),
        reference("ContactId", "Contact ID", "Contact", "Contact", updateable=False),
        reference("LeadId", "Lead ID", "Lead", "Lead", updateable=False),
        picklist("Status", "Status", ("Sent", "Responded")), boolean("HasResponded", "Responded"),
    ])


def loyalty_program() -> ObjectDef:
    return ObjectDef("Loyalty_Program__c", "Programme de fidélité", "Programmes de fidélité", "a01", custom=True, fields=system_fields() + [
        name_field("Nom du programme", 80),
        reference("Contact__c", "Contact", "Contact", "Contact__r"),
        picklist("Tier__c", "会員ランク", (("Bronze", "ブロンズ"), ("Silver", "シルバー"), ("Gold", "ゴールド"), PicklistValue("Platinum", "プラチナ", active=False)), restricted=True),
        number("Points__c", "Points", "double", 18, 0),
        date("Start_Date__c", "Date de début"), boolean("Active__c", "Actif"),
        multipicklist("Channels__c", "Canaux", ("Email", "SMS", "Push")),
        text("Program_Code__c", "Program Code", 40, external_id=True, unique=True),
    ])


def user() -> ObjectDef:
    return ObjectDef("User", "User", "Users", "005", fields=system_fields()[:2] + system_fields()[3:] + [
        text("Username", "Username", 80, nillable=False), name_field("Full Name", 121), email("Email", "Email", nillable=False),
        boolean("IsActive", "Active"),
    ])


def demo_schema() -> Schema:
    return Schema([account(), contact(), lead(), opportunity(), campaign(), campaign_member(), loyalty_program(), user()])
