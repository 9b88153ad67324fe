from django.db import migrations


def create_defaults(apps, schema_editor):
    from consent.services.defaults import create_cookie_groups, create_legal_documents

    create_cookie_groups(apps)
    create_legal_documents(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0001_initial"),
        ("cookie_consent", "0004_cookie_natural_key"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
