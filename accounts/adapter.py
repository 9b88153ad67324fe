from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import Group

from accounts import roles


class AccountAdapter(DefaultAccountAdapter):
    """New accounts get the pseudonym they chose (or a generated one) and the citizen role."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        display_name = form.cleaned_data.get("display_name")
        if display_name:
            user.display_name = display_name
        if commit:
            user.save()
            group, _created = Group.objects.get_or_create(name=roles.DEFAULT)
            user.groups.add(group)
        return user
