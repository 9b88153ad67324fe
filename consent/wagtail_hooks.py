from wagtail import hooks

from consent.viewsets import PersonalDataGroup


@hooks.register("register_admin_viewset")
def register_personal_data():
    return PersonalDataGroup()
