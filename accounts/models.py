import secrets

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Letters and digits that cannot be confused when read aloud or on a small screen.
PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_display_name() -> str:
    """A pseudonym such as "Participant·e 7Q3K": nothing in it identifies the person."""
    suffix = "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(5))
    return f"Participant·e {suffix}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("Une adresse e-mail est nécessaire.")
        email = self.normalize_email(email)
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("Un super-utilisateur doit avoir is_staff et is_superuser.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person with an account. They log in by e-mail; the public sees only the display name.

    The real name (first_name / last_name) is optional and never shown on the public
    site; the display name is a pseudonym by default, which the person may change.
    """

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(
        _("public display name"),
        max_length=60,
        default=generate_display_name,
        help_text=_("Shown next to your contributions. Use a pseudonym if you prefer."),
    )

    # Declared by the person in « Mes données », used only where FranceConnect sent no
    # address: polls reserved to residents say which of the two they relied on.
    declared_postcode = models.CharField(
        _("declared postcode"),
        max_length=5,
        blank=True,
        validators=[
            RegexValidator(r"^\d{5}$", _("A French postcode has five digits, such as 69001."))
        ],
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def has_verified_email(self) -> bool:
        # Cached per instance: checked on every form of a thread page.
        if not hasattr(self, "_has_verified_email"):
            self._has_verified_email = self.emailaddress_set.filter(
                email__iexact=self.email, verified=True
            ).exists()
        return self._has_verified_email
