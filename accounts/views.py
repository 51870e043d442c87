"""Sign-in, hand-off, password reset, invitations, team and API keys on a workspace domain."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localtime
from django.views.decorators.http import require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.errors import EmailTaken
from accounts.forms import (
    AcceptInvitationForm,
    ApiKeyForm,
    EmailForm,
    InviteForm,
    NewPasswordForm,
    RoleForm,
    SignInForm,
)
from accounts.models import OneTimeToken, User
from accounts.permissions import Action, can, require
from accounts.selectors.team import (
    api_keys_visible_to,
    member_credentials,
    pending_invitations,
    team_members,
)
from accounts.services.api_auth import create_api_key, revoke_api_key
from accounts.services.audit import client_ip
from accounts.services.passwords import request_password_reset, reset_password, verify_email
from accounts.services.sign_in import check_credentials
from accounts.services.team import (
    accept_invitation,
    change_member_role,
    deactivate_member,
    get_member,
    invite_member,
    reactivate_member,
    resend_invitation,
    revoke_invitation,
    transfer_ownership,
)
from accounts.services.tokens import (
    InvitationState,
    consume_one_time_token,
    find_one_time_token,
    invitation_state,
)
from mail.selectors import latest_outbox_emails
from project.errors import DomainError, Forbidden, InvalidInput, NotFound, RateLimited
from project.pages import add_domain_errors, error_page, page, plan_refusal
from project.ratelimit import enforce_rate_limit
from tenants.errors import PlanLimitReached

REMEMBER_ME_AGE = timedelta(days=30)
# Signed-in members only; a DomainError the view lets through becomes the error page.
workspace_page = page()


def _workspace_url(request: HttpRequest) -> str:
    return str(request.tenant.url)  # type: ignore[attr-defined]


def _too_many(
    request: HttpRequest, error: RateLimited, template: str, context: dict[str, object]
) -> HttpResponse:
    response = render(request, template, {**context, "error": error.message}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


def _start_session(request: HttpRequest, user: User, *, remember: bool) -> None:
    # login() rotates the session key, so a planted session id never gains a sign-in.
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.set_expiry(int(REMEMBER_ME_AGE.total_seconds()) if remember else 0)


def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    if request.user.is_authenticated:
        return redirect(next_url)
    form = SignInForm(request.POST or None)
    context: dict[str, object] = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            enforce_rate_limit(
                request, group="sign-in-ip", key="ip", rate=settings.CRM_LOGIN_RATE_IP
            )
            enforce_rate_limit(
                request,
                group="sign-in-email",
                key=lambda g, r: email.lower(),
                rate=settings.CRM_LOGIN_RATE_EMAIL,
            )
            user = check_credentials(
                email=email, password=form.cleaned_data["password"], ip=client_ip(request)
            )
        except RateLimited as error:
            return _too_many(request, error, "accounts/login.html", context)
        except DomainError as error:
            # The form again with the reason (a page, so 200 like any form error).
            context["error"] = error.message
            return render(request, "accounts/login.html", context)
        _start_session(request, user, remember=form.cleaned_data["remember_me"])
        return redirect(next_url)
    return render(request, "accounts/login.html", context)


def handoff(request: HttpRequest) -> HttpResponse:
    """The first visit after sign-up: a single-use link that signs the new owner in here."""
    try:
        token = consume_one_time_token(
            purpose=OneTimeToken.Purpose.HANDOFF, raw=request.GET.get("token", "")
        )
    except DomainError:
        return render(
            request,
            "errors/page.html",
            {
                "title": "This sign-in link has expired",
                "message": "Links from sign-up work once, for two minutes. Sign in with your "
                "email and password instead.",
                "action_url": "/login/",
                "action_label": "Sign in",
            },
            status=401,
        )
    assert token.user is not None
    _start_session(request, token.user, remember=False)
    messages.success(
        request, "Your workspace is ready. We sent you an email to confirm your address."
    )
    return redirect("/")


def verify_email_link(request: HttpRequest) -> HttpResponse:
    try:
        verify_email(raw_token=request.GET.get("token", ""))
    except DomainError as error:
        return render(
            request,
            "errors/page.html",
            {
                "title": "This link has expired",
                "message": error.message,
            },
            status=400,
        )
    messages.success(request, "Thanks, your email address is confirmed.")
    return redirect("/")


def password_reset_request(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enforce_rate_limit(
                request, group="password-reset", key="ip", rate=settings.CRM_LOGIN_RATE_IP
            )
        except RateLimited as error:
            return _too_many(request, error, "accounts/password_reset.html", {"form": form})
        request_password_reset(
            email=form.cleaned_data["email"],
            base_url=_workspace_url(request),
            ip=client_ip(request),
        )
        return render(request, "accounts/password_reset.html", {"sent": True})
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("token", "")
    # Showing the form does not use the link up (mail scanners open links); saving does.
    if find_one_time_token(purpose=OneTimeToken.Purpose.PASSWORD_RESET, raw=raw) is None:
        return render(
            request,
            "errors/page.html",
            {
                "title": "This reset link has expired",
                "message": "Reset links work once, for one hour. Ask for a new one.",
                "action_url": "/password-reset/",
                "action_label": "Send a new link",
            },
            status=400,
        )
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset_password(
                raw_token=raw, new_password=form.cleaned_data["password"], ip=client_ip(request)
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Your password is changed. Sign in with it now.")
            return redirect("/login/")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


INVITATION_DEAD_ENDS = {
    InvitationState.USED: (
        "This invitation was already used",
        "Someone joined the workspace with this link. If it was you, sign in with the email "
        "and password you chose.",
        ("/login/", "Sign in"),
    ),
    InvitationState.EXPIRED: (
        "This invitation has expired",
        "Invitations work for seven days. Ask the person who invited you to send it again.",
        None,
    ),
    InvitationState.UNKNOWN: (
        "This invitation is no longer valid",
        "It was withdrawn, or replaced by a newer invitation: use the link in the most recent "
        "email, or ask the person who invited you to send a new one.",
        None,
    ),
}


def invitation_accept(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("token", "")
    invitation = find_one_time_token(purpose=OneTimeToken.Purpose.INVITATION, raw=raw)
    if invitation is None:
        title, message, action = INVITATION_DEAD_ENDS[invitation_state(raw)]
        return error_page(
            request, status=400, code="link_invalid", title=title, message=message, action=action
        )
    form = AcceptInvitationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = accept_invitation(
                raw_token=raw,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        except PlanLimitReached:
            # The invitee cannot upgrade; their link stays valid for after the owner does.
            status = 402
            form.add_error(
                None,
                "The workspace has no free seat on its plan right now. Ask the person who "
                "invited you to upgrade it in Settings → Billing, then open this link again.",
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            _start_session(request, user, remember=False)
            messages.success(request, "Welcome aboard!")
            return redirect("/")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=status,
    )


def _require_team_manager(request: HttpRequest) -> User:
    actor = signed_in_user(request)
    if not can(actor, Action.MANAGE_TEAM):
        raise Forbidden("Only admins and the owner manage the team. Ask one of them.")
    return actor


@workspace_page
def team(request: HttpRequest, invite_form: InviteForm | None = None) -> HttpResponse:
    actor = _require_team_manager(request)
    return render(
        request,
        "accounts/team.html",
        {
            "members": team_members(),
            "invitations": pending_invitations(),
            "invite_form": invite_form or InviteForm(),
            "can_manage": True,
            "can_transfer": can(actor, Action.TRANSFER_OWNERSHIP),
            "roles": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
        },
    )


def _run_team_action(request: HttpRequest, action: str, member_id: int) -> None:
    actor, ip = signed_in_user(request), client_ip(request)
    if action == "role":
        member = change_member_role(
            actor=actor, member_id=member_id, role=request.POST.get("role", ""), ip=ip
        )
        messages.success(request, f"{member.email} is now {member.get_role_display()}.")
    elif action == "deactivate":
        member = deactivate_member(actor=actor, member_id=member_id, ip=ip)
        messages.success(request, f"{member.email} can no longer sign in.")
    elif action == "reactivate":
        member = reactivate_member(actor=actor, member_id=member_id, ip=ip)
        messages.success(request, f"{member.email} can sign in again.")
    elif action == "transfer":
        member = transfer_ownership(actor=actor, new_owner_id=member_id, ip=ip)
        messages.success(request, f"{member.email} now owns the workspace; you are an admin.")
    else:
        raise NotFound("There is no such team action.")


def _refused_on_team_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    if isinstance(error, PlanLimitReached):
        messages.error(request, plan_refusal(error))
    else:
        problems = " ".join(detail["message"] for detail in error.details)
        messages.error(request, f"{error.message} {problems}".strip())
    # The page again, with the reason and the status of the refusal (403, 409, 422...).
    response = team(request)
    response.status_code = error.status
    return response


@workspace_page
@require_http_methods(["GET", "POST"])
def team_action(request: HttpRequest, action: str, member_id: int) -> HttpResponse:
    """POST does the action; GET shows, for those that cannot be taken back, the page that
    spells out what happens (the buttons on the team page lead there, JavaScript or not)."""
    if request.method == "GET":
        return _confirm_member_action(request, action, member_id)
    try:
        _run_team_action(request, action, member_id)
    except DomainError as error:
        return _refused_on_team_page(request, error)
    return redirect("/team/")


def _confirm_member_action(request: HttpRequest, action: str, member_id: int) -> HttpResponse:
    actor = _require_team_manager(request)
    member = get_member(member_id)
    name = member.display_name
    if action == "deactivate":
        held = member_credentials(member)
        context = {
            "title": f"Deactivate {name}?",
            "consequences": [
                f"{member.email} can no longer sign in.",
                f"Their {held.sessions} open session{pluralize(held.sessions)} "
                f"{pluralize(held.sessions, 'ends,end')} now, and "
                f"their {held.api_keys} API key{pluralize(held.api_keys)} and any API tokens "
                "stop working for good; reactivating them later does not bring these back.",
                "The leads and tasks assigned to them stay assigned to them: reassign them "
                "from the leads list if someone else takes over.",
            ],
            "button": "Deactivate",
            "danger": True,
        }
    elif action == "transfer":
        require(actor, Action.TRANSFER_OWNERSHIP)
        context = {
            "title": f"Make {name} the owner?",
            "consequences": [
                f"{member.email} becomes the owner: they alone can delete the workspace, "
                "manage billing and hand ownership on.",
                "You become an admin: you keep the team, campaigns and settings, but you "
                "can no longer delete the workspace or take ownership back yourself.",
                f"Only {name} can make you the owner again.",
            ],
            "button": f"Make {name} the owner",
            "danger": True,
        }
    else:
        raise NotFound("There is no such team action.")
    context.update(action_url=f"/team/{member.pk}/{action}/", cancel_url="/team/")
    return render(request, "accounts/confirm.html", context)


@workspace_page
@require_POST
def team_invite(request: HttpRequest) -> HttpResponse:
    actor = _require_team_manager(request)
    form = InviteForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            invite_member(
                actor=actor,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=_workspace_url(request),
                ip=client_ip(request),
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        except EmailTaken as error:
            form.add_error("email", error.message)
            status = error.status
        except PlanLimitReached as error:
            form.add_error(None, plan_refusal(error))
            status = error.status
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("/team/")
    response = team(request, invite_form=form)
    response.status_code = status
    return response


@workspace_page
@require_POST
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = resend_invitation(
            actor=signed_in_user(request),
            invitation_id=invitation_id,
            base_url=_workspace_url(request),
            ip=client_ip(request),
        )
    except EmailTaken as error:
        return _refused_on_team_page(request, error)
    messages.success(
        request, f"A new invitation went to {invitation.email}; the earlier link stops working."
    )
    return redirect("/team/")


@workspace_page
@require_http_methods(["GET", "POST"])
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    actor = _require_team_manager(request)
    if request.method == "POST":
        invitation = revoke_invitation(
            actor=actor, invitation_id=invitation_id, ip=client_ip(request)
        )
        messages.success(request, f"The invitation to {invitation.email} is withdrawn.")
        return redirect("/team/")
    pending = pending_invitations().filter(pk=invitation_id).first()
    if pending is None:
        raise NotFound("No pending invitation with this id.")
    context = {
        "title": f"Withdraw the invitation to {pending.email}?",
        "consequences": [
            f"The link we emailed to {pending.email} stops working at once; opening it will "
            "say the invitation was withdrawn.",
            "Nothing else changes, and you can invite them again at any time.",
        ],
        "button": "Withdraw the invitation",
        "danger": True,
        "action_url": f"/team/invitations/{pending.pk}/revoke/",
        "cancel_url": "/team/",
    }
    return render(request, "accounts/confirm.html", context)


@workspace_page
def api_keys(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    if not can(actor, Action.MANAGE_API_KEYS):
        raise Forbidden("Only admins and the owner manage API keys. Ask one of them.")
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = create_api_key(
                actor=actor, name=form.cleaned_data["name"], ip=client_ip(request)
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        else:
            form = ApiKeyForm()
    return render(
        request,
        "accounts/api_keys.html",
        {
            "form": form,
            "created": created,
            "keys": api_keys_visible_to(actor),
        },
    )


@workspace_page
@require_http_methods(["GET", "POST"])
def api_key_revoke(request: HttpRequest, api_key_id: int) -> HttpResponse:
    actor = signed_in_user(request)
    if request.method == "POST":
        api_key = revoke_api_key(actor=actor, api_key_id=api_key_id, ip=client_ip(request))
        messages.success(request, f"Key {api_key.name} is revoked.")
        return redirect("/settings/api-keys/")
    key = api_keys_visible_to(actor).filter(pk=api_key_id, revoked_at__isnull=True).first()
    if key is None:
        raise NotFound("No active API key with this id.")
    last_used = (
        f"It was last used {date_format(localtime(key.last_used_at), 'j M Y, H:i')}."
        if key.last_used_at
        else "It has never been used."
    )
    context = {
        "title": f"Revoke the key {key.name}?",
        "consequences": [
            f"Every integration that sends {key.prefix}… gets 401 Unauthorized from its next "
            f"request. {last_used}",
            "A revoked key cannot be turned back on: create a new key and put it in the "
            "integration to reconnect it.",
        ],
        "button": "Revoke the key",
        "danger": True,
        "action_url": f"/settings/api-keys/{key.pk}/revoke/",
        "cancel_url": "/settings/api-keys/",
    }
    return render(request, "accounts/confirm.html", context)


@workspace_page
def dev_outbox(request: HttpRequest) -> HttpResponse:
    """Development only: the emails this workspace would have sent, newest first. Admins and
    the owner only: it holds every member's password reset and sign-in links."""
    if not can(signed_in_user(request), Action.READ_DEV_OUTBOX):
        raise Forbidden("Only admins and the owner read the development outbox.")
    if settings.STRICT or settings.POSTMARK_SERVER_TOKEN:
        raise NotFound("No outbox here: emails are sent through Postmark.")
    return render(request, "accounts/outbox.html", {"emails": latest_outbox_emails()})
