from wagtail import hooks

from participation.viewsets import PollViewSet


@hooks.register("register_admin_viewset")
def register_polls():
    return PollViewSet("polls")
