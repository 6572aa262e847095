"""An HTTPS emulator of the Dataverse Web API v9.2 and of the Entra ID token service,
faithful enough for msal and requests. See `app.DataverseEmulator`."""

from .app import DataverseEmulator

__all__ = ["DataverseEmulator"]
