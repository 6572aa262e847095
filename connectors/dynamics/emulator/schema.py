"""The demo environment's schema: contact, account, lead, opportunity, systemuser
and a custom entity with the cr8a1_ publisher prefix, with local and global option
sets, state/status pairs and a multi-select choice, labelled in English, French
and Traditional Chinese. `lead` has change tracking off, as some real tables do."""

from __future__ import annotations

from .metadata import AttributeDef, EntityDef, Option, OptionSetDef


def L(en: str, fr: str, zh: str) -> dict[int, str]:
    return {1033: en, 1036: fr, 1028: zh}


def options(name: str, labels, values, *, is_global=False, kind="Picklist") -> OptionSetDef:
    return OptionSetDef(name, labels, tuple(Option(value, text) for value, text in values), is_global, kind)


YES_NO = options("yesno", L("Yes/No", "Oui/Non", "是/否"), [(0, L("No", "Non", "否")), (1, L("Yes", "Oui", "是"))],
                 kind="Boolean")
INTERESTS = options("cr8a1_interest", L("Interest", "Centre d'intérêt", "興趣"), [
    (100000000, L("Sports", "Sport", "運動")), (100000001, L("Music", "Musique", "音樂")),
    (100000002, L("Travel", "Voyage", "旅行")), (100000003, L("Cooking", "Cuisine", "烹飪")),
    (100000004, L("Technology", "Technologie", "科技")),
], is_global=True)
SEGMENT = options("cr8a1_segment", L("Segment", "Segment", "區隔"), [
    (100000000, L("Consumer", "Particulier", "消費者")), (100000001, L("Small business", "Petite entreprise", "小型企業")),
    (100000002, L("Enterprise", "Grande entreprise", "大型企業")),
], is_global=True)


def state_status(entity: str, states, statuses) -> tuple[OptionSetDef, OptionSetDef]:
    """A state option set and its status reasons, each status tied to one state."""
    state_set = OptionSetDef(f"{entity}_statecode", L("Status", "Statut", "狀態"), tuple(
        Option(value, labels, default_status=default) for value, labels, default in states), kind="State")
    status_set = OptionSetDef(f"{entity}_statuscode", L("Status Reason", "Raison du statut", "狀態原因"), tuple(
        Option(value, labels, state=state) for value, labels, state in statuses), kind="Status")
    return state_set, status_set


ACTIVE_INACTIVE = ([(0, L("Active", "Actif", "使用中"), 1), (1, L("Inactive", "Inactif", "停用"), 2)],
                   [(1, L("Active", "Actif", "使用中"), 0), (2, L("Inactive", "Inactif", "停用"), 1)])


def system_attributes(entity: str, states=ACTIVE_INACTIVE) -> list[AttributeDef]:
    state_set, status_set = state_status(entity, *states)
    return [
        AttributeDef("statecode", "State", L("Status", "Statut", "狀態"), option_set=state_set,
                     required="SystemRequired", create=False),
        AttributeDef("statuscode", "Status", L("Status Reason", "Raison du statut", "狀態原因"), option_set=status_set),
        AttributeDef("ownerid", "Owner", L("Owner", "Propriétaire", "擁有者"), targets=("systemuser", "team"),
                     required="SystemRequired"),
        AttributeDef("createdon", "DateTime", L("Created On", "Créé le", "建立於"), format="DateAndTime",
                     create=False, update=False),
        AttributeDef("modifiedon", "DateTime", L("Modified On", "Modifié le", "修改於"), format="DateAndTime",
                     create=False, update=False),
        AttributeDef("versionnumber", "BigInt", L("Version Number", "Numéro de version", "版本號碼"),
                     create=False, update=False),
    ]


def primary(entity: str, labels) -> AttributeDef:
    return AttributeDef(f"{entity}id", "Uniqueidentifier", labels, primary_id=True, update=False,
                        required="SystemRequired")


def text(name, labels, length, **kwargs) -> AttributeDef:
    return AttributeDef(name, "String", labels, max_length=length, format=kwargs.pop("format", "Text"), **kwargs)


def money(name, labels, precision=2) -> AttributeDef:
    return AttributeDef(name, "Money", labels, precision=precision, min_value=-922337203685477, max_value=922337203685477)


def contact() -> EntityDef:
    preferred = options("contact_preferredcontactmethodcode", L("Preferred Method of Contact", "Mode de contact préféré", "慣用連絡方式"), [
        (1, L("Any", "Indifférent", "任何")), (2, L("Email", "Courrier électronique", "電子郵件")),
        (3, L("Phone", "Téléphone", "電話")), (4, L("Fax", "Télécopie", "傳真")), (5, L("Mail", "Courrier", "郵件")),
    ])
    gender = options("contact_gendercode", L("Gender", "Sexe", "性別"), [
        (1, L("Male", "Homme", "男性")), (2, L("Female", "Femme", "女性"))])
    attributes = [
        primary("contact", L("Contact", "Contact", "連絡人")),
        text("firstname", L("First Name", "Prénom", "名字"), 50),
        text("lastname", L("Last Name", "Nom", "姓氏"), 50, required="SystemRequired"),
        text("fullname", L("Full Name", "Nom complet", "全名"), 160, create=False, update=False, primary_name=True),
        text("emailaddress1", L("Email", "Adresse de messagerie", "電子郵件"), 100, format="Email"),
        text("telephone1", L("Business Phone", "Téléphone professionnel", "商務電話"), 50, format="Phone"),
        text("mobilephone", L("Mobile Phone", "Téléphone mobile", "行動電話"), 50, format="Phone"),
        text("jobtitle", L("Job Title", "Fonction", "職稱"), 100),
        text("address1_city", L("City", "Ville", "城市"), 80),
        text("address1_country", L("Country/Region", "Pays/région", "國家/地區"), 80),
        AttributeDef("preferredcontactmethodcode", "Picklist", preferred.labels, option_set=preferred),
        AttributeDef("gendercode", "Picklist", gender.labels, option_set=gender),
        AttributeDef("cr8a1_interests", "MultiSelectPicklist", L("Interests", "Centres d'intérêt", "興趣"),
                     option_set=INTERESTS, custom=True, schema_name="cr8a1_Interests"),
        AttributeDef("cr8a1_segment", "Picklist", L("Segment", "Segment", "區隔"), option_set=SEGMENT, custom=True,
                     schema_name="cr8a1_Segment"),
        AttributeDef("birthdate", "DateTime", L("Birthday", "Date de naissance", "生日"), format="DateOnly"),
        AttributeDef("lastusedincampaign", "DateTime", L("Last Date Included in Campaign", "Dernière campagne", "最近包含於行銷活動的日期"),
                     format="DateAndTime"),
        money("creditlimit", L("Credit Limit", "Limite de crédit", "信用額度")),
        AttributeDef("cr8a1_loyaltyscore", "Decimal", L("Loyalty Score", "Score de fidélité", "忠誠度分數"), precision=4,
                     min_value=-100000000000, max_value=100000000000, custom=True, schema_name="cr8a1_LoyaltyScore"),
        AttributeDef("cr8a1_engagementrate", "Double", L("Engagement Rate", "Taux d'engagement", "參與率"), precision=5,
                     min_value=0, max_value=1000000000, custom=True, schema_name="cr8a1_EngagementRate"),
        AttributeDef("numberofchildren", "Integer", L("No. of Children", "Nombre d'enfants", "子女數"),
                     min_value=0, max_value=1000000000),
        AttributeDef("cr8a1_lifetimepoints", "BigInt", L("Lifetime Points", "Points cumulés", "累積點數"), custom=True,
                     schema_name="cr8a1_LifetimePoints"),
        AttributeDef("donotemail", "Boolean", L("Do not allow Emails", "Ne pas autoriser le courrier électronique", "不允許電子郵件"),
                     option_set=YES_NO),
        AttributeDef("description", "Memo", L("Description", "Description", "描述"), max_length=2000, format="TextArea"),
        AttributeDef("parentcustomerid", "Customer", L("Company Name", "Nom de la société", "公司名稱"),
                     targets=("account", "contact")),
        text("cr8a1_externalid", L("External ID", "Identifiant externe", "外部識別碼"), 64, custom=True,
             schema_name="cr8a1_ExternalId"),
        AttributeDef("cr8a1_loyaltyprogramid", "Lookup", L("Loyalty Program", "Programme de fidélité", "忠誠度方案"),
                     targets=("cr8a1_loyaltyprogram",), custom=True, schema_name="cr8a1_LoyaltyProgramId"),
        *system_attributes("contact"),
    ]
    return EntityDef("contact", "contacts", L("Contact", "Contact", "連絡人"), L("Contacts", "Contacts", "連絡人"),
                     tuple(attributes), "contactid", "fullname", 2, keys={"cr8a1_externalid_key": ("cr8a1_externalid",)},
                     navigation={"parentcustomerid_account": ("parentcustomerid", "account"),
                                 "parentcustomerid_contact": ("parentcustomerid", "contact"),
                                 "cr8a1_LoyaltyProgramId": ("cr8a1_loyaltyprogramid", "cr8a1_loyaltyprogram"),
                                 "ownerid": ("ownerid", "systemuser")})


def account() -> EntityDef:
    industry = options("account_industrycode", L("Industry", "Secteur d'activité", "產業"), [
        (1, L("Accounting", "Comptabilité", "會計")), (2, L("Agriculture", "Agriculture", "農業")),
        (3, L("Consulting", "Conseil", "顧問")), (4, L("Retail", "Commerce de détail", "零售"))])
    attributes = [
        primary("account", L("Account", "Compte", "客戶")),
        text("name", L("Account Name", "Nom du compte", "客戶名稱"), 160, required="ApplicationRequired", primary_name=True),
        text("accountnumber", L("Account Number", "Numéro de compte", "客戶編號"), 20),
        text("telephone1", L("Main Phone", "Téléphone principal", "主要電話"), 50, format="Phone"),
        text("emailaddress1", L("Email", "Adresse de messagerie", "電子郵件"), 100, format="Email"),
        text("websiteurl", L("Website", "Site web", "網站"), 200, format="Url"),
        AttributeDef("industrycode", "Picklist", industry.labels, option_set=industry),
        AttributeDef("cr8a1_segment", "Picklist", L("Segment", "Segment", "區隔"), option_set=SEGMENT, custom=True,
                     schema_name="cr8a1_Segment"),
        money("revenue", L("Annual Revenue", "Chiffre d'affaires annuel", "年度營收")),
        AttributeDef("numberofemployees", "Integer", L("Number of Employees", "Nombre d'employés", "員工數"),
                     min_value=0, max_value=1000000000),
        AttributeDef("primarycontactid", "Lookup", L("Primary Contact", "Contact principal", "主要連絡人"), targets=("contact",)),
        AttributeDef("description", "Memo", L("Description", "Description", "描述"), max_length=2000, format="TextArea"),
        *system_attributes("account"),
    ]
    return EntityDef("account", "accounts", L("Account", "Compte", "客戶"), L("Accounts", "Comptes", "客戶"),
                     tuple(attributes), "accountid", "name", 1, keys={"accountnumber_key": ("accountnumber",)},
                     navigation={"primarycontactid": ("primarycontactid", "contact"), "ownerid": ("ownerid", "systemuser")})


LEAD_STATES = ([(0, L("Open", "Ouvert", "開啟"), 1), (1, L("Qualified", "Qualifié", "已合格"), 3),
                (2, L("Disqualified", "Disqualifié", "不合格"), 4)],
               [(1, L("New", "Nouveau", "新增"), 0), (2, L("Contacted", "Contacté", "已連絡"), 0),
                (3, L("Qualified", "Qualifié", "已合格"), 1), (4, L("Lost", "Perdu", "遺失"), 2),
                (5, L("Cannot Contact", "Injoignable", "無法連絡"), 2)])


def lead() -> EntityDef:
    source = options("lead_leadsourcecode", L("Lead Source", "Origine du prospect", "潛在客戶來源"), [
        (1, L("Advertisement", "Publicité", "廣告")), (2, L("Employee Referral", "Recommandation", "員工推薦")),
        (8, L("Web", "Web", "網站"))])
    attributes = [
        primary("lead", L("Lead", "Prospect", "潛在客戶")),
        text("subject", L("Topic", "Sujet", "主題"), 300, primary_name=True, required="ApplicationRequired"),
        text("firstname", L("First Name", "Prénom", "名字"), 50),
        text("lastname", L("Last Name", "Nom", "姓氏"), 50),
        text("companyname", L("Company Name", "Nom de la société", "公司名稱"), 100),
        text("emailaddress1", L("Email", "Adresse de messagerie", "電子郵件"), 100, format="Email"),
        AttributeDef("leadsourcecode", "Picklist", source.labels, option_set=source),
        money("estimatedamount", L("Est. Value", "Valeur estimée", "估計值")),
        *system_attributes("lead", LEAD_STATES),
    ]
    return EntityDef("lead", "leads", L("Lead", "Prospect", "潛在客戶"), L("Leads", "Prospects", "潛在客戶"),
                     tuple(attributes), "leadid", "subject", 4, change_tracking=False,
                     navigation={"ownerid": ("ownerid", "systemuser")})


OPPORTUNITY_STATES = ([(0, L("Open", "Ouvert", "開啟"), 1), (1, L("Won", "Conclue", "成交"), 3),
                       (2, L("Lost", "Perdue", "失敗"), 4)],
                      [(1, L("In Progress", "En cours", "進行中"), 0), (2, L("On Hold", "En attente", "暫停"), 0),
                       (3, L("Won", "Conclue", "成交"), 1), (4, L("Canceled", "Annulée", "已取消"), 2),
                       (5, L("Out-Sold", "Perdue face à un concurrent", "被搶單"), 2)])


def opportunity() -> EntityDef:
    attributes = [
        primary("opportunity", L("Opportunity", "Opportunité", "商機")),
        text("name", L("Topic", "Sujet", "主題"), 300, primary_name=True, required="ApplicationRequired"),
        AttributeDef("customerid", "Customer", L("Potential Customer", "Client potentiel", "潛在客戶"),
                     targets=("account", "contact")),
        money("estimatedvalue", L("Est. Revenue", "Revenu estimé", "估計營收")),
        AttributeDef("estimatedclosedate", "DateTime", L("Est. Close Date", "Date de clôture estimée", "估計結案日期"),
                     format="DateOnly"),
        AttributeDef("closeprobability", "Integer", L("Probability", "Probabilité", "機率"), min_value=0, max_value=100),
        *system_attributes("opportunity", OPPORTUNITY_STATES),
    ]
    return EntityDef("opportunity", "opportunities", L("Opportunity", "Opportunité", "商機"),
                     L("Opportunities", "Opportunités", "商機"), tuple(attributes), "opportunityid", "name", 3,
                     navigation={"customerid_account": ("customerid", "account"),
                                 "customerid_contact": ("customerid", "contact"), "ownerid": ("ownerid", "systemuser")})


def systemuser() -> EntityDef:
    attributes = [
        primary("systemuser", L("User", "Utilisateur", "使用者")),
        text("fullname", L("Full Name", "Nom complet", "全名"), 200, primary_name=True),
        text("domainname", L("User Name", "Nom d'utilisateur", "使用者名稱"), 1024, required="SystemRequired"),
        text("internalemailaddress", L("Primary Email", "Adresse principale", "主要電子郵件"), 100, format="Email"),
        AttributeDef("isdisabled", "Boolean", L("Status", "Statut", "狀態"), option_set=YES_NO),
        AttributeDef("createdon", "DateTime", L("Created On", "Créé le", "建立於"), format="DateAndTime", create=False,
                     update=False),
        AttributeDef("modifiedon", "DateTime", L("Modified On", "Modifié le", "修改於"), format="DateAndTime",
                     create=False, update=False),
        AttributeDef("versionnumber", "BigInt", L("Version Number", "Numéro de version", "版本號碼"), create=False,
                     update=False),
    ]
    return EntityDef("systemuser", "systemusers", L("User", "Utilisateur", "使用者"), L("Users", "Utilisateurs", "使用者"),
                     tuple(attributes), "systemuserid", "fullname", 8)


def loyalty_program() -> EntityDef:
    tier = options("cr8a1_tier", L("Tier", "Niveau", "等級"), [
        (100000000, L("Bronze", "Bronze", "銅級")), (100000001, L("Silver", "Argent", "銀級")),
        (100000002, L("Gold", "Or", "金級"))])
    attributes = [
        primary("cr8a1_loyaltyprogram", L("Loyalty Program", "Programme de fidélité", "忠誠度方案")),
        text("cr8a1_name", L("Name", "Nom", "名稱"), 100, primary_name=True, required="ApplicationRequired", custom=True,
             schema_name="cr8a1_Name"),
        AttributeDef("cr8a1_tier", "Picklist", tier.labels, option_set=tier, custom=True, schema_name="cr8a1_Tier"),
        AttributeDef("cr8a1_pointsmultiplier", "Decimal", L("Points Multiplier", "Multiplicateur de points", "點數倍數"),
                     precision=2, min_value=0, max_value=100, custom=True, schema_name="cr8a1_PointsMultiplier"),
        AttributeDef("cr8a1_startdate", "DateTime", L("Start Date", "Date de début", "開始日期"), format="DateOnly",
                     custom=True, schema_name="cr8a1_StartDate"),
        *system_attributes("cr8a1_loyaltyprogram"),
    ]
    return EntityDef("cr8a1_loyaltyprogram", "cr8a1_loyaltyprograms", L("Loyalty Program", "Programme de fidélité", "忠誠度方案"),
                     L("Loyalty Programs", "Programmes de fidélité", "忠誠度方案"), tuple(attributes),
                     "cr8a1_loyaltyprogramid", "cr8a1_name", 10001, custom=True, schema="cr8a1_LoyaltyProgram",
                     navigation={"ownerid": ("ownerid", "systemuser")})


def demo_entities() -> dict[str, EntityDef]:
    entities = (contact(), account(), lead(), opportunity(), systemuser(), loyalty_program())
    return {entity.name: entity for entity in entities}


GLOBAL_OPTION_SETS = {option_set.name: option_set for option_set in (INTERESTS, SEGMENT)}
