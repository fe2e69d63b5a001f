"""The user: identified by an email address, with no username anywhere."""

from __future__ import annotations

import uuid
import weakref
from contextvars import ContextVar
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connections, models, router, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from project.sql import converted, converters
from users.addresses import CANONICAL_VIOLATION, canonical_or_none

# Set while the user of a JWT is loaded (users/api/authentication.py): it
# comes with `primary_address_verified`, so `/api/me` needs no second query.
with_primary_verified: ContextVar[bool] = ContextVar(
    "with_primary_verified", default=False
)

# A user by primary key, and whether their primary address is verified. SQL
# written once: on every JWT request, the ORM took longer to build and
# compile this than PostgreSQL took to answer it. {columns}: user_columns("u").
USER_WITH_PRIMARY_VERIFIED = """
    SELECT {columns}, EXISTS (
        SELECT 1 FROM account_emailaddress a
        WHERE a.user_id = u.id AND a.email = u.email AND a.verified
    ) AS primary_address_verified
    FROM users_user u WHERE u.id = %s
"""


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get(self, *args: Any, **kwargs: Any) -> User:
        """As a queryset's `get`; inside `with_primary_verified`, a lookup by
        primary key (Django's ModelBackend.get_user) is one statement of SQL
        written once."""
        if with_primary_verified.get() and not args and kwargs.keys() == {"pk"}:
            found = user_from_sql(_USER_BY_PK, [kwargs["pk"]])
            if found is None:
                msg = "User matching query does not exist."
                raise self.model.DoesNotExist(msg)
            return found
        return super().get(*args, **kwargs)

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The address's canonical spelling (`users.addresses.canonical_email`).

        An address without one is only stripped and lowercased, for
        validation to refuse.
        """
        email = (email or "").strip()
        return canonical_or_none(email) or email.lower()

    def get_by_natural_key(self, email: str | None) -> User:
        # Addresses are stored canonical: the canonical spelling finds any
        # case, on the lower(email) index.
        return self.get(email=self.normalize_email(email))

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        email = self.normalize_email(email)
        if not email:
            msg = "An email address is required."
            raise ValueError(msg)
        try:
            validate_email(email)
        except ValidationError:
            msg = f"{email!r} is not a valid email address."
            raise ValueError(msg) from None
        user = self.model(email=email, **extra)
        # With no password, set_password() stores an unusable one.
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        """Create a staff superuser whose address counts as verified.

        allauth's login (with mandatory verification) needs a verified
        `EmailAddress`, so one is created here; without it the superuser could
        use /admin/ but not /accounts/login/.
        """
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if extra["is_staff"] is not True:
            msg = "A superuser must have is_staff=True."
            raise ValueError(msg)
        if extra["is_superuser"] is not True:
            msg = "A superuser must have is_superuser=True."
            raise ValueError(msg)
        with transaction.atomic(using=self._db):
            user = self._create_user(email, password, **extra)
            EmailAddress.objects.using(self._db).create(
                user=user, email=user.email, primary=True, verified=True
            )
        return user


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(
        _("email address"),
        max_length=254,
        unique=True,
        error_messages={"unique": _("A user with that email address already exists.")},
    )
    name = models.CharField(
        _("name"),
        max_length=150,
        blank=True,
        help_text=_("How the person likes to be addressed. Optional."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "Whether this account can log in. Unselect this instead of deleting "
            "the account."
        ),
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the user can log in to the admin site."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    password_unproven = models.BooleanField(
        _("password unproven"),
        default=False,
        help_text=_(
            "The password was typed at signup, and the address has not yet been "
            "verified in that browser or app session. A verification anywhere "
            "else discards it."
        ),
    )
    public_id = models.UUIDField(
        _("public ID"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_(
            "How other apps signed in through this service know the account "
            "(the OpenID Connect subject): random, never the database id or "
            "the address, and never changing."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the pages and emails this person gets."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # The database, not the form, guarantees one account per address
            # in any case, even when two signups race.
            models.UniqueConstraint(
                Lower("email"),
                name="users_user_email_ci_unique",
                violation_error_message=_(
                    "A user with that email address already exists."
                ),
            ),
            # Every address is stored in its canonical spelling, which is
            # lowercase ASCII (users/addresses.py): a write that skipped
            # canonical_email fails here instead of making a second account
            # for one mailbox.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email"))
                & ~models.Q(email__regex=CANONICAL_VIOLATION),
                name="users_user_email_canonical",
                violation_error_message=_("Enter a valid email address."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email


def user_columns(alias: str) -> str:
    """The users table's columns, as `alias`.column, in the model's order:
    what `user_from_sql` reads first."""
    return ", ".join(f'{alias}."{f.column}"' for f in User._meta.concrete_fields)


# USER_WITH_PRIMARY_VERIFIED with its columns, worked out once.
_USER_BY_PK = USER_WITH_PRIMARY_VERIFIED.format(columns=user_columns("u"))


def user_from_sql(sql: str, params: Any) -> User | None:
    """The one user `sql` finds, or None: SQL written once, selecting
    `user_columns` first, then any further columns, each set on the user
    as an attribute of its name. What Django's raw() does, without its
    column mapping per row: on the busiest reads (a login's account, a
    JWT's user), that mapping cost more than the query."""
    connection = connections[router.db_for_read(User)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        names = [column[0] for column in cursor.description]
    fields = User._meta.concrete_fields
    values = list(row[: len(fields)])
    for index, chain in _converters(connection):
        values[index] = converted(values[index], chain, connection)
    user = User.from_db(connection.alias, [f.attname for f in fields], values)
    for name, value in zip(names[len(fields) :], row[len(fields) :], strict=True):
        setattr(user, name, value)
    return user


def _converters(connection: Any) -> list[tuple[int, list]]:
    """The database converters of the users table's columns, by position
    (none for these columns on PostgreSQL; dates and booleans on SQLite),
    worked out once per connection."""
    found = _CONVERTERS.get(connection)
    if found is None:
        found = [
            (index, chain)
            for index, field in enumerate(User._meta.concrete_fields)
            if (chain := converters(User, field.name, connection))
        ]
        _CONVERTERS[connection] = found
    return found


_CONVERTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
