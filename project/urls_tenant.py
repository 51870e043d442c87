"""URLs of a workspace's own domain (its schema): the app, sign-in and the REST API."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views as account_views
from accounts.api import api_keys_router, auth_router, team_router
from accounts.authentication import API_AUTH
from crm.api.activity import router as activity_router
from crm.api.catalog import router as catalog_router
from crm.api.events import router as events_router
from crm.api.leads import router as leads_router
from outreach import pages as outreach_pages
from outreach import webhooks as outreach_webhooks
from outreach.api.campaigns import router as campaigns_router
from outreach.api.email import router as email_router
from project.api import build_api
from tenants.api import workspace_router
from tenants.views import home

api = build_api(
    title="CRM workspace API",
    version="v1",
    namespace="workspace_api",
    description="Everything in one workspace: leads, products, campaigns, tasks and more. "
    "Authenticate with `Authorization: Bearer <API key or access token>`.",
    auth=API_AUTH,
)
api.add_router("/", workspace_router)
api.add_router("/", auth_router)
api.add_router("/", team_router)
api.add_router("/", api_keys_router)
api.add_router("/", leads_router)
api.add_router("/", events_router)
api.add_router("/", catalog_router)
api.add_router("/", activity_router)
api.add_router("/", campaigns_router)
api.add_router("/", email_router)

urlpatterns = [
    path("", home, name="home"),
    path("login/", account_views.sign_in, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("auth/handoff/", account_views.handoff, name="handoff"),
    path("auth/verify-email/", account_views.verify_email_link, name="verify_email"),
    path("password-reset/", account_views.password_reset_request, name="password_reset"),
    path(
        "password-reset/confirm/",
        account_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("invite/accept/", account_views.invitation_accept, name="invitation_accept"),
    path("team/", account_views.team, name="team"),
    path("team/invite/", account_views.team_action, {"action": "invite"}, name="team_invite"),
    path("team/<int:member_id>/<str:action>/", account_views.team_action, name="team_action"),
    path("settings/api-keys/", account_views.api_keys, name="api_keys"),
    path(
        "settings/api-keys/<int:api_key_id>/revoke/",
        account_views.api_key_revoke,
        name="api_key_revoke",
    ),
    path("dev/outbox/", account_views.dev_outbox, name="dev_outbox"),
    path("campaigns/", outreach_pages.campaign_list, name="campaign_list"),
    path("campaigns/new/", outreach_pages.campaign_new, name="campaign_new"),
    path(
        "campaigns/audience-count/", outreach_pages.audience_count, name="campaign_audience_count"
    ),
    path("campaigns/<int:campaign_id>/", outreach_pages.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/edit/", outreach_pages.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<int:campaign_id>/progress/",
        outreach_pages.campaign_progress,
        name="campaign_progress",
    ),
    path(
        "campaigns/<int:campaign_id>/<slug:action>/",
        outreach_pages.campaign_action,
        name="campaign_action",
    ),
    path("settings/email/", outreach_pages.email_settings, name="email_settings"),
    path(
        "settings/email/webhook-secret/",
        outreach_pages.new_webhook_secret,
        name="email_webhook_secret",
    ),
    path("unsubscribe/<str:token>/", outreach_webhooks.unsubscribe, name="unsubscribe"),
    path(
        "unsubscribe/<str:token>/resubscribe/",
        outreach_webhooks.resubscribe,
        name="resubscribe",
    ),
    path("webhooks/postmark", outreach_webhooks.postmark_webhook, name="postmark_webhook"),
    path("api/v1/", api.urls),
]

handler400 = "project.views.bad_request"
handler403 = "project.views.forbidden"
handler404 = "project.views.not_found"
handler500 = "project.views.server_error"
