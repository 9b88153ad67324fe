"""Page addresses without accents (WAGTAIL_ALLOW_UNICODE_SLUGS = False): existing pages
get an ASCII slug and a permanent redirect from their former address."""

from django.db import migrations


def forwards(apps, schema_editor):
    from cms.services import ascii_slugs

    ascii_slugs(
        apps.get_model("wagtailcore", "Page"),
        apps.get_model("wagtailcore", "Site"),
        apps.get_model("wagtailredirects", "Redirect"),
        apps.get_model("wagtailcore", "Revision"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_editorial_permissions"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailredirects", "0008_add_verbose_name_plural"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
