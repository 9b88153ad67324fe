"""python -m tests.oidc_provider.serve PORT — migrate the provider's own SQLite file and
serve it on 127.0.0.1:PORT (OIDC_PROVIDER_DB names the file)."""

import os
import sys

import django
from django.core.management import call_command


def main():
    port = int(sys.argv[1])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    main()
