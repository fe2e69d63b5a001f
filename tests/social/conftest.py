"""Every social test runs against the local fakes of tests/support/sign_in_providers.py,
configured the way an operator configures the real ones: from the
environment, through the settings reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from allauth.socialaccount.providers.google import views as google_views
from allauth.socialaccount.providers.kakao.views import KakaoOAuth2Adapter
from allauth.socialaccount.providers.naver.views import NaverOAuth2Adapter

from project.settings import readers
from social.models import ProviderPolicy
from tests.support.sign_in_providers import ENVIRONMENT, FakeProviders

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def fake_providers() -> Iterator[FakeProviders]:
    fake = FakeProviders()
    yield fake
    fake.stop()


@pytest.fixture
def providers(fake_providers, settings, monkeypatch) -> FakeProviders:
    """All four providers configured, their servers answered by the fakes.
    Their sign-in pages (the browser's side) keep their real addresses."""
    fake = fake_providers
    fake.reset()
    for name, value in {**ENVIRONMENT, "OIDC_RP_ISSUER": fake.oidc_issuer}.items():
        monkeypatch.setenv(name, value)
    settings.SOCIALACCOUNT_PROVIDERS = readers.social_providers_from_env()
    patches = {
        KakaoOAuth2Adapter: {
            "access_token_url": "/kakao/oauth/token",
            "profile_url": "/kakao/v2/user/me",
        },
        NaverOAuth2Adapter: {
            "access_token_url": "/naver/oauth2.0/token",
            "profile_url": "/naver/v1/nid/me",
        },
        google_views.GoogleOAuth2Adapter: {
            "access_token_url": "/google/token",
            "identity_url": "/google/userinfo",
        },
    }
    for adapter, urls in patches.items():
        for attribute, path in urls.items():
            monkeypatch.setattr(adapter, attribute, f"{fake.url}{path}")
    monkeypatch.setattr(google_views, "CERTS_URL", f"{fake.url}/google/certs")
    return fake


@pytest.fixture
def trusted(db):
    """Mark providers trusted for email, as staff do in the admin."""

    def trust(*provider_ids: str) -> None:
        for provider_id in provider_ids:
            ProviderPolicy.objects.update_or_create(
                provider=provider_id, defaults={"trusted_for_email": True}
            )

    return trust
