"""Admin-wide additions of the site shell."""

from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks

from cms import pagecache


@hooks.register("insert_global_admin_js")
def admin_accessibility_names():
    # Names for widgets Wagtail draws without one (rich text, tags, nested inline forms):
    # the team's screens must pass axe-core like the public site.
    return format_html('<script type="module" src="{}"></script>', static("js/admin_a11y.js"))


# Which page a request builds for the anonymous page cache, and its stamp (cms.pagecache).
hooks.register("before_serve_page", pagecache.note_served_page)
