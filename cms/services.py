"""Writes of the site shell that are not Wagtail's own."""

import logging

from wagtail.coreutils import cautious_slugify

logger = logging.getLogger(__name__)

STEPLEN = 4  # treebeard's materialised path: 4 characters per level


def _unique_slug(Page, page, wanted: str) -> str:
    parent_path = page.path[:-STEPLEN]
    taken = set(
        Page.objects.filter(path__startswith=parent_path, depth=page.depth)
        .exclude(pk=page.pk)
        .values_list("slug", flat=True)
    )
    slug, n = wanted, 2
    while slug in taken:
        slug, n = f"{wanted}-{n}", n + 1
    return slug


def ascii_slugs(Page, Site, Redirect, Revision=None) -> int:
    """Give every page with accents (or other non-ASCII letters) in its slug an ASCII
    slug (« été-à-démo » → « ete-a-demo »), and a permanent redirect from each address
    that changed (the page's and its descendants'), so links already shared keep
    working. Takes the model classes so a data migration can pass its historical ones.
    Returns how many pages were renamed."""
    from django.utils.encoding import uri_to_iri

    roots = [
        (site, Page.objects.get(pk=site.root_page_id).url_path)
        for site in Site.objects.all()
        if Page.objects.filter(pk=site.root_page_id).exists()
    ]

    def public_paths(url_path: str):
        for site, root_path in roots:
            if url_path.startswith(root_path):
                yield site, "/" + url_path[len(root_path) :]

    renamed = 0
    candidates = [pk for pk, slug in Page.objects.values_list("pk", "slug") if not slug.isascii()]
    for pk in candidates:
        page = Page.objects.get(pk=pk)  # again: an ancestor's rename changed its url_path
        old_slug, old_url_path = page.slug, page.url_path
        new_slug = _unique_slug(Page, page, cautious_slugify(old_slug) or f"page-{page.pk}")
        new_url_path = old_url_path[: -len(old_slug) - 1] + new_slug + "/"
        moved = [(page.pk, old_url_path, new_url_path)]
        for descendant in Page.objects.filter(path__startswith=page.path, depth__gt=page.depth):
            moved.append(
                (
                    descendant.pk,
                    descendant.url_path,
                    new_url_path + descendant.url_path[len(old_url_path) :],
                )
            )
        Page.objects.filter(pk=page.pk).update(slug=new_slug)
        for moved_pk, old_path, new_path in moved:
            Page.objects.filter(pk=moved_pk).update(url_path=new_path)
            for site, public in public_paths(old_path):
                old = uri_to_iri(public.rstrip("/") or "/")
                if not Redirect.objects.filter(old_path=old, site=site).exists():
                    Redirect.objects.create(
                        old_path=old, site=site, redirect_page_id=moved_pk, is_permanent=True
                    )
        if Revision is not None:
            # Publishing an older revision must not bring the accented slug back.
            for revision in Revision.objects.filter(object_id=str(page.pk)):
                content = revision.content or {}
                if content.get("slug") == old_slug and "url_path" in content:
                    content["slug"] = new_slug
                    revision.content = content
                    revision.save(update_fields=["content"])
        logger.info("page %s: slug made ASCII, %s redirect(s)", page.pk, len(moved))
        renamed += 1
    return renamed


def publish_approved(workflow_state, user=None):
    """WAGTAIL_FINISH_WORKFLOW_ACTION: publish what a colleague approved. The approval
    is the right to publish here — the communication team has no direct publish right
    (cms.permissions), so Wagtail's default action would refuse their approval."""
    revision = workflow_state.content_object.get_latest_revision()
    revision.publish(user=user, skip_permission_checks=True)
    logger.info("%s approved and published", workflow_state.content_object._meta.label)
