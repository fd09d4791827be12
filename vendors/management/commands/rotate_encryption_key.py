"""Re-encrypt every stored secret with the first of FIELD_ENCRYPTION_KEYS.

Rotation: prepend the new key to FIELD_ENCRYPTION_KEYS (keep the old ones
after it), deploy, run this command, then remove the old keys. Secrets that
no key opens are listed and left as they are (their vendor must enter them
again); the command then exits non-zero.
"""

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from vendors.fields import Ciphertext, EncryptedTextField, fernet


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options) -> None:
        rotated, broken = 0, []
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            names = [f.attname for f in fields]
            for obj in model._default_manager.only("pk", *names).iterator():
                changes = {}
                for name in names:
                    value = obj.__dict__.get(name, "")
                    if not isinstance(value, Ciphertext):
                        continue
                    try:
                        changes[name] = Ciphertext(fernet().rotate(value.encode()).decode())
                    except InvalidToken:
                        broken.append(f"{model._meta.label} {obj.pk} {name}")
                if changes:
                    model._default_manager.filter(pk=obj.pk).update(**changes)
                    rotated += len(changes)
        self.stdout.write(f"Re-encrypted {rotated} secret(s) with the first key.")
        if broken:
            raise CommandError(
                "These secrets cannot be decrypted with any key and were left as they are: "
                + ", ".join(broken)
            )
