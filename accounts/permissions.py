"""The permission matrix, enforced in services so that the UI and the API cannot disagree.

| action            | member | admin | owner |
|-------------------|:------:|:-----:|:-----:|
| leads, tasks, messages | yes | yes | yes |
| campaigns, products, pipeline and custom fields | no | yes | yes |
| team, API keys         | no  | yes | yes |
| workspace profile (name, time zone, logo) | no | yes | yes |
| development outbox (every email, reset links included) | no | yes | yes |
| billing, delete workspace, transfer ownership | no | no | yes |
"""

from __future__ import annotations

from enum import StrEnum

from accounts.models import User
from project.errors import Forbidden


class Action(StrEnum):
    MANAGE_LEADS = "manage_leads"
    MANAGE_TASKS = "manage_tasks"
    MANAGE_MESSAGES = "manage_messages"
    MANAGE_CAMPAIGNS = "manage_campaigns"
    MANAGE_PRODUCTS = "manage_products"
    MANAGE_PIPELINE = "manage_pipeline"
    MANAGE_TEAM = "manage_team"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_WORKSPACE = "manage_workspace"
    READ_DEV_OUTBOX = "read_dev_outbox"
    MANAGE_BILLING = "manage_billing"
    TRANSFER_OWNERSHIP = "transfer_ownership"
    DELETE_WORKSPACE = "delete_workspace"


MEMBER_ACTIONS = frozenset({Action.MANAGE_LEADS, Action.MANAGE_TASKS, Action.MANAGE_MESSAGES})
ADMIN_ACTIONS = MEMBER_ACTIONS | {
    Action.MANAGE_CAMPAIGNS,
    Action.MANAGE_PRODUCTS,
    Action.MANAGE_PIPELINE,
    Action.MANAGE_TEAM,
    Action.MANAGE_API_KEYS,
    Action.MANAGE_WORKSPACE,
    Action.READ_DEV_OUTBOX,
}
OWNER_ACTIONS = frozenset(Action)
ALLOWED: dict[str, frozenset[Action]] = {
    User.Role.MEMBER: MEMBER_ACTIONS,
    User.Role.ADMIN: frozenset(ADMIN_ACTIONS),
    User.Role.OWNER: OWNER_ACTIONS,
}


def can(user: User, action: Action) -> bool:
    return user.is_active and action in ALLOWED.get(user.role, frozenset())


def require(user: User, action: Action) -> None:
    """Raise Forbidden (403 in the error shape) unless the user's role allows the action."""
    if not can(user, action):
        raise Forbidden(f"Your role ({user.role}) cannot {action.replace('_', ' ')}.")
