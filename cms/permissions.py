"""What each role may do with pages, images, documents and site settings.

Wagtail keeps page rights per subtree: they are granted on the root page, so they
cover every site of the installation.
"""

from accounts import roles

WORKFLOW_NAME = "Validation"
WORKFLOW_TASK_NAME = "Validation par une ou un collègue"
FORMER_WORKFLOW_TASK_NAME = "Validation par l'équipe communication"

# A second pair of eyes before anything goes online: the communication team writes and
# submits to "Validation" but does not publish directly; a colleague approves
# (cms.models.SecondPairOfEyesTask, never the submitter). Administrators may publish.
PAGE_PERMISSIONS = {
    roles.COMMUNICATION: ["add_page", "change_page", "lock_page", "unlock_page"],
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
# Rights that an earlier version granted and that are now withdrawn.
WITHDRAWN_PAGE_PERMISSIONS = {roles.COMMUNICATION: ["publish_page"]}


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
        for role, codenames in WITHDRAWN_PAGE_PERMISSIONS.items():
            GroupPagePermission.objects.filter(
                group=groups[role],
                permission__content_type__app_label="wagtailcore",
                permission__codename__in=codenames,
            ).delete()
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

    try:
        SecondPairOfEyesTask = apps.get_model("cms", "SecondPairOfEyesTask")
    except LookupError:  # an early migration: the workflow comes with cms 0004
        return None
    task = SecondPairOfEyesTask.objects.filter(name=WORKFLOW_TASK_NAME).first()
    if task is None:
        task_type, _created = ContentType.objects.get_or_create(
            app_label="cms", model="secondpairofeyestask"
        )
        task = SecondPairOfEyesTask.objects.create(
            name=WORKFLOW_TASK_NAME, content_type=task_type, active=True
        )
    task.groups.add(groups[roles.COMMUNICATION], groups[roles.ADMINISTRATORS])
    workflow, _created = Workflow.objects.get_or_create(
        name=WORKFLOW_NAME, defaults={"active": True}
    )
    # The former plain group approval let the submitter approve their own page.
    former = GroupApprovalTask.objects.filter(name=FORMER_WORKFLOW_TASK_NAME)
    WorkflowTask.objects.filter(workflow=workflow, task__in=former).delete()
    former.update(active=False)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    if root_page is not None:
        WorkflowPage.objects.update_or_create(page=root_page, defaults={"workflow": workflow})
    return workflow
