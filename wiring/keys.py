"""Typed application keys: every shared object the handlers reach through the app. Defined by
the composition root; api/ reads them, realtime/ never does (it gets what it uses by
constructor)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp import web
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.accounts import AccountService
from domain.bus import EventBus
from domain.chat import ChatService
from domain.deletion import AccountDeletion
from domain.group_sessions import GroupSessionService
from domain.groups import GroupService
from domain.invites import InviteService
from domain.matching import MatchingService
from domain.moderation import ModerationService
from domain.notifications import NotificationService
from domain.pins import PinService
from domain.ports import AccountMail, ChangeFeed, UnitOfWorkFactory
from domain.posts import PostService
from domain.progress import ProgressService
from domain.push import PushService
from domain.search import SearchService
from domain.socket_access import SocketAuthenticator
from domain.stats import StatsService
from domain.uploads import UploadService
from domain.users import UserService
from settings import Settings
from wiring.metrics import Metrics


@dataclass(frozen=True)
class Services:
    """The domain services the root built, for a caller without routes (commands/demo.py)."""

    uow: UnitOfWorkFactory
    bus: EventBus
    users: UserService
    notifications: NotificationService
    groups: GroupService
    posts: PostService
    progress: ProgressService
    stats: StatsService
    sessions: GroupSessionService
    chat: ChatService


SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)  # only app.py and storage touch it
# async () -> None, raising when the database does not answer
DATABASE_PING: web.AppKey[Callable[[], Awaitable[None]]] = web.AppKey("database_ping")
# async () -> True when the database's Alembic revision is the scripts' head (raises if down)
MIGRATIONS_CURRENT: web.AppKey[Callable[[], Awaitable[bool]]] = web.AppKey("migrations_current")
UOW = web.AppKey("uow", UnitOfWorkFactory)
PUBLISHER = web.AppKey("publisher", EventBus)  # subscribe() at start-up; services publish
NOTIFICATIONS = web.AppKey("notifications", NotificationService)
MATCHING = web.AppKey("matching", MatchingService)
GROUPS = web.AppKey("groups", GroupService)
CHAT = web.AppKey("chat", ChatService)
PINS = web.AppKey("pins", PinService)
GROUP_SESSIONS = web.AppKey("group_sessions", GroupSessionService)
USERS = web.AppKey("users", UserService)
SOCKET_ACCESS = web.AppKey("socket_access", SocketAuthenticator)  # the /chat connect check
PROGRESS = web.AppKey("progress", ProgressService)
POSTS = web.AppKey("posts", PostService)
STATS = web.AppKey("stats", StatsService)
CHANGE_FEED: web.AppKey[ChangeFeed | None] = web.AppKey("change_feed")  # None without Redis
REDIS: web.AppKey[Redis | None] = web.AppKey("redis")  # None without Redis
METRICS = web.AppKey("metrics", CollectorRegistry)
METRIC_FAMILIES = web.AppKey("metric_families", Metrics)  # every family: wiring/metrics.py
OVERRIDES: web.AppKey[dict[str, Any]] = web.AppKey("overrides")  # test hooks, see create_app
# () -> (model name, "loading" | "loaded" | "failed")
MODEL_STATE: web.AppKey[Callable[[], tuple[str, str]]] = web.AppKey("model_state")
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)
SERVICES = web.AppKey("services", Services)
UPLOADS = web.AppKey("uploads", UploadService)


# ---- issue 17: moderation and push (built in wiring/safety.py) ------------------------------

MODERATION = web.AppKey("moderation", ModerationService)
PUSH = web.AppKey("push", PushService)
VAPID_PUBLIC_KEY = web.AppKey("vapid_public_key", str)
# The realtime part's presence store (who has a socket open on any worker): push reads it.
PRESENCE: web.AppKey[Any] = web.AppKey("presence")
# () -> awaitable: wait until queued pushes are handled (tests and the latency script)
PUSH_DRAIN: web.AppKey[Callable[[], Awaitable[None]]] = web.AppKey("push_drain")

ACCOUNTS = web.AppKey("accounts", AccountService)  # verification, reset, password change
DELETION = web.AppKey("deletion", AccountDeletion)  # account deletion and export
ACCOUNT_MAIL = web.AppKey("account_mail", AccountMail)  # wiring/mail.py; the domain's mail port

# issue 16: message search, the group directory and invite links
SEARCH = web.AppKey("search", SearchService)
INVITES = web.AppKey("invites", InviteService)
