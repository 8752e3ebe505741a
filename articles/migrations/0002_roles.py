"""The editorial roles: Editors (view, change, publish) and Viewers (view only)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ["article", "articleimage", "relatedarticle", "articletopic", "provider", "topic", "auditentry", "importrun"]
EDITOR_CODENAMES = [f"view_{m}" for m in MODELS] + [
    "change_article", "change_articleimage", "change_relatedarticle", "change_articletopic", "publish_article",
]
VIEWER_CODENAMES = [f"view_{m}" for m in MODELS]


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Editors", EDITOR_CODENAMES), ("Viewers", VIEWER_CODENAMES)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="articles", codename__in=codenames))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Viewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
