"""Re-encrypt every stored credential under the first CRMSYNC_SECRET_KEYS key.

Rotation: put the new key first (keep the old one after it), run this command,
then remove the old key.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from connectors.fields import UnreadableSecrets
from connectors.models import ExternalAccount


class Command(BaseCommand):
    help = "Re-encrypt all external-account credentials under the current (first) key."

    def handle(self, *args, **options):
        with transaction.atomic():
            accounts = list(ExternalAccount.objects.select_for_update().only("pk", "secrets", "internal_name"))
            unreadable = [a.internal_name for a in accounts if isinstance(a.secrets, UnreadableSecrets)]
            if unreadable:
                raise CommandError("no configured key decrypts the credentials of: " + ", ".join(unreadable))
            for account in accounts:
                # Saving re-encrypts with the first key.
                ExternalAccount.objects.filter(pk=account.pk).update(secrets=account.secrets)
        self.stdout.write(f"re-encrypted the credentials of {len(accounts)} external account(s)")
