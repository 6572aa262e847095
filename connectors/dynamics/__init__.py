"""Microsoft Dynamics 365 (Dataverse Web API) connector and its HTTPS emulator."""
