"""What each role may do with pages, images, documents and site settings.

Wagtail keeps page rights per subtree: they are granted on the root page, so they
cover every site of the installation.
"""

from accounts import roles

WORKFLOW_NAME = "Validation"
WORKFLOW_TASK_NAME = "Validation par l'équipe communication"

PAGE_PERMISSIONS = {
    roles.COMMUNICATION: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
    roles.ADMINISTRATORS: [
        "add_page",
        "change_page",
        "publish_page",
        "lock_page",
        "unlock_page",
        "bulk_delete_page",
        "delete_page",
    ],
}
COLLECTION_PERMISSIONS = {
    roles.COMMUNICATION: [
        ("wagtailimages", "image", ["add_image", "change_image", "choose_image"]),
        ("wagtaildocs", "document", ["add_document", "change_document", "choose_document"]),
    ],
    roles.ADMINISTRATORS: [
        ("wagtailimages", "image", ["add_image", "change_image", "delete_image", "choose_image"]),
        (
            "wagtaildocs",
            "document",
            ["add_document", "change_document", "delete_document", "choose_document"],
        ),
    ],
}
MODEL_PERMISSIONS = {
    roles.COMMUNICATION: [("cms", "navigationsettings", ["change_navigationsettings"])],
    roles.ADMINISTRATORS: [
        ("cms", "brandingsettings", ["change_brandingsettings"]),
        ("cms", "navigationsettings", ["change_navigationsettings"]),
        ("accounts", "user", ["add_user", "change_user", "delete_user", "view_user"]),
        ("auth", "group", ["change_group", "view_group"]),
    ],
}
# Wagtail's starter groups and workflow would sit next to Tribune's roles and confuse people.
WAGTAIL_DEFAULT_GROUPS = ["Moderators", "Editors"]
WAGTAIL_DEFAULT_WORKFLOW = "Moderators approval"


def _permission(apps, app_label, model, codename):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _created = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _created = Permission.objects.get_or_create(
        content_type=content_type,
        codename=codename,
        defaults={"name": codename.replace("_", " ").capitalize()},
    )
    return permission


def grant_editorial_permissions(apps=None):
    """Idempotent: page, collection and settings rights per role, and the "Validation"
    approval workflow on the whole tree."""
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    ContentType = apps.get_model("contenttypes", "ContentType")

    groups = roles.create_groups(apps)
    root_page = Page.objects.filter(depth=1).first()
    root_collection = Collection.objects.filter(depth=1).first()

    if root_page is not None:
        for role, codenames in PAGE_PERMISSIONS.items():
            for codename in codenames:
                GroupPagePermission.objects.get_or_create(
                    group=groups[role],
                    page=root_page,
                    permission=_permission(apps, "wagtailcore", "page", codename),
                )
    if root_collection is not None:
        for role, entries in COLLECTION_PERMISSIONS.items():
            for app_label, model, codenames in entries:
                for codename in codenames:
                    GroupCollectionPermission.objects.get_or_create(
                        group=groups[role],
                        collection=root_collection,
                        permission=_permission(apps, app_label, model, codename),
                    )
    for role, entries in MODEL_PERMISSIONS.items():
        for app_label, model, codenames in entries:
            for codename in codenames:
                groups[role].permissions.add(_permission(apps, app_label, model, codename))

    Group.objects.filter(name__in=WAGTAIL_DEFAULT_GROUPS).delete()
    Workflow.objects.filter(name=WAGTAIL_DEFAULT_WORKFLOW).delete()

    task = GroupApprovalTask.objects.filter(name=WORKFLOW_TASK_NAME).first()
    if task is None:
        task_type, _created = ContentType.objects.get_or_create(
            app_label="wagtailcore", model="groupapprovaltask"
        )
        task = GroupApprovalTask.objects.create(
            name=WORKFLOW_TASK_NAME, content_type=task_type, active=True
        )
    task.groups.add(groups[roles.COMMUNICATION], groups[roles.ADMINISTRATORS])
    workflow, _created = Workflow.objects.get_or_create(
        name=WORKFLOW_NAME, defaults={"active": True}
    )
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    if root_page is not None:
        WorkflowPage.objects.update_or_create(page=root_page, defaults={"workflow": workflow})
    return workflow
