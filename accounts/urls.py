"""The accounts app's pages on a workspace's domain: sign-in, hand-off, password reset,
invitations, team, API keys and the development outbox."""

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path
from ninja import Router

from accounts import api, views

urlpatterns: list[URLPattern] = [
    path("login/", views.sign_in, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("auth/handoff/", views.handoff, name="handoff"),
    path("auth/verify-email/", views.verify_email_link, name="verify_email"),
    path("password-reset/", views.password_reset_request, name="password_reset"),
    path("password-reset/confirm/", views.password_reset_confirm, name="password_reset_confirm"),
    path("invite/accept/", views.invitation_accept, name="invitation_accept"),
    path("team/", views.team, name="team"),
    path("team/invite/", views.team_invite, name="team_invite"),
    path(
        "team/invitations/<int:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "team/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("team/<int:member_id>/<str:action>/", views.team_action, name="team_action"),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/<int:api_key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
]

api_routers: list[tuple[str, Router]] = [
    ("/auth", api.auth_router),
    ("/me", api.me_router),
    ("/team", api.team_router),
    ("/api-keys", api.api_keys_router),
]
