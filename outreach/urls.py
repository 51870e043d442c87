"""The outreach app's pages, provider endpoints and REST resources on a workspace's domain."""

from django.urls import URLPattern, path
from ninja import Router

from outreach import twilio_webhooks, webhooks
from outreach.api import campaigns as campaigns_api
from outreach.api import email as email_api
from outreach.api import sms as sms_api
from outreach.pages import (
    campaign_composer,
    campaigns,
    email_settings,
    lead_email,
    lead_sms,
    sending_identity,
    sms_settings,
    unsubscribe,
)

urlpatterns: list[URLPattern] = [
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path(
        "campaigns/audience-count/",
        campaign_composer.audience_count,
        name="campaign_audience_count",
    ),
    path("campaigns/sms-preview/", campaign_composer.sms_preview, name="campaign_sms_preview"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<int:campaign_id>/progress/",
        campaigns.campaign_progress,
        name="campaign_progress",
    ),
    path(
        "campaigns/<int:campaign_id>/duplicate/",
        campaigns.campaign_duplicate,
        name="campaign_duplicate",
    ),
    path(
        "campaigns/<int:campaign_id>/recipients/",
        campaigns.campaign_recipients,
        name="campaign_recipients",
    ),
    path(
        "campaigns/<int:campaign_id>/<slug:action>/",
        campaigns.campaign_action,
        name="campaign_action",
    ),
    path("leads/<int:lead_id>/email/", lead_email.lead_email, name="lead_email"),
    path("leads/<int:lead_id>/email/state/", lead_email.lead_email_state, name="lead_email_state"),
    path(
        "leads/<int:lead_id>/email/suppress/",
        lead_email.lead_email_suppress,
        name="lead_email_suppress",
    ),
    path("leads/<int:lead_id>/sms/", lead_sms.lead_sms, name="lead_sms"),
    path("leads/<int:lead_id>/sms/thread/", lead_sms.lead_sms_thread, name="lead_sms_thread"),
    path("leads/<int:lead_id>/sms/count/", lead_sms.lead_sms_count, name="lead_sms_count"),
    path("settings/email/", email_settings.email_settings, name="email_settings"),
    path(
        "settings/email/webhook-secret/",
        email_settings.new_webhook_secret,
        name="email_webhook_secret",
    ),
    path("settings/sms/", sms_settings.sms_settings, name="sms_settings"),
    path("settings/sms/disconnect/", sms_settings.sms_disconnect, name="sms_disconnect"),
    path("settings/sending/", sending_identity.sending_settings, name="sending_settings"),
    path(
        "settings/sending/domain/",
        sending_identity.sending_domain_register,
        name="sending_domain_register",
    ),
    path(
        "settings/sending/domain/verify/",
        sending_identity.sending_domain_verify,
        name="sending_domain_verify",
    ),
    path(
        "settings/sending/domain/remove/",
        sending_identity.sending_domain_remove,
        name="sending_domain_remove",
    ),
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/resubscribe/", unsubscribe.resubscribe, name="resubscribe"),
    path("webhooks/postmark", webhooks.postmark_webhook, name="postmark_webhook"),
    # sms.callback_urls.STATUS_PATH and INBOUND_PATH: the URLs Twilio is given.
    path("webhooks/twilio/status", twilio_webhooks.twilio_status, name="twilio_status"),
    path("webhooks/twilio/inbound", twilio_webhooks.twilio_inbound, name="twilio_inbound"),
]

api_routers: list[tuple[str, Router]] = [
    ("/campaigns", campaigns_api.router),
    ("/audiences", campaigns_api.audiences_router),
    ("/email", email_api.router),
    ("/suppressions", email_api.suppressions_router),
    ("/leads", email_api.lead_email_router),
    ("/leads", sms_api.lead_sms_router),
]
