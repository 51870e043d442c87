"""The SMS app's REST resources on a workspace's domain."""

from ninja import Router

from sms import api

api_routers: list[tuple[str, Router]] = [("/sms", api.router)]
