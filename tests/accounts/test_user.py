from django.contrib.auth import authenticate

from accounts import roles
from accounts.models import User, generate_display_name


def test_new_user_gets_a_pseudonym_not_their_name(db):
    user = User.objects.create_user(
        email="marie.curie@exemple.fr", password="x" * 12, first_name="Marie", last_name="Curie"
    )
    assert user.display_name.startswith("Participant·e ")
    assert "Marie" not in user.display_name and "curie" not in user.display_name.lower()
    assert str(user) == user.display_name


def test_pseudonyms_differ():
    assert len({generate_display_name() for _ in range(50)}) == 50


def test_login_is_by_email(db):
    User.objects.create_user(email="Lea@Exemple.fr", password="mot-de-passe-long")
    assert authenticate(email="Lea@exemple.fr", password="mot-de-passe-long") is not None


def test_roles_exist_after_migrations(db):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL)


def test_staff_roles_reach_the_admin_citizens_and_agents_do_not(users):
    assert users["communication"].has_perm("wagtailadmin.access_admin")
    assert users["moderator"].has_perm("wagtailadmin.access_admin")
    assert not users["citizen"].has_perm("wagtailadmin.access_admin")
    assert not users["agent"].has_perm("wagtailadmin.access_admin")


def test_has_role(users):
    assert roles.has_role(users["agent"], roles.AGENTS)
    assert not roles.has_role(users["citizen"], roles.AGENTS)
    assert roles.has_role(users["administrator"], roles.ADMINISTRATORS)
    assert not roles.has_role(users["anonymous"], roles.CITIZENS)
