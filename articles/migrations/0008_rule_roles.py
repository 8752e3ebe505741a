"""Editors manage ingest rules (add, change, reorder, apply); Viewers see them read-only. Both see clusters."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_CODENAMES = [
    "manage_rules", "view_ingestrule", "add_ingestrule", "change_ingestrule", "delete_ingestrule",
    "view_storycluster",
]
VIEWER_CODENAMES = ["view_ingestrule", "view_storycluster"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Editors", EDITOR_CODENAMES), ("Viewers", VIEWER_CODENAMES)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="articles", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="articles", codename__in=EDITOR_CODENAMES)
    for group in Group.objects.filter(name__in=["Editors", "Viewers"]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("articles", "0007_clusters_and_rules")]

    operations = [migrations.RunPython(grant, revoke)]
