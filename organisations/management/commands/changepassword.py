"""Django's `changepassword`, which also revokes the user's API tokens (api.services.revoke_all_tokens)."""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword

from api.services import revoke_all_tokens


class Command(changepassword.Command):
    def handle(self, *args, **options):
        message = super().handle(*args, **options)  # raises CommandError when nothing was changed
        user_model = get_user_model()
        username = options["username"] or getpass.getuser()
        user = user_model._default_manager.using(options["database"]).get(**{user_model.USERNAME_FIELD: username})
        revoked = revoke_all_tokens(user=user, reason="mot de passe modifié par la commande changepassword")
        if revoked:
            self.stdout.write(f"{revoked} jeton(s) d'API révoqué(s).")
        return message
