"""Typed application keys: every shared object the handlers reach through the app. Defined by
the composition root; api/ reads them, realtime/ never does (it gets what it uses by
constructor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp import web
from prometheus_client import CollectorRegistry

from domain.bus import EventBus
from domain.chat import ChatService
from domain.group_sessions import GroupSessionService
from domain.groups import GroupService
from domain.matching import MatchingService
from domain.notifications import NotificationService
from domain.ports import UnitOfWorkFactory
from domain.posts import PostService
from domain.progress import ProgressService
from domain.stats import StatsService
from domain.users import UserService
from settings import Settings


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
ENGINE = web.AppKey("engine", Any)  # storage's AsyncEngine; only app.py and storage touch it
DATABASE_PING = web.AppKey("database_ping", Any)  # async () -> None, raises when down
UOW = web.AppKey("uow", UnitOfWorkFactory)
PUBLISHER = web.AppKey("publisher", EventBus)  # subscribe() at start-up; services publish
NOTIFICATIONS = web.AppKey("notifications", NotificationService)
MATCHING = web.AppKey("matching", MatchingService)
GROUPS = web.AppKey("groups", GroupService)
CHAT = web.AppKey("chat", ChatService)
GROUP_SESSIONS = web.AppKey("group_sessions", GroupSessionService)
USERS = web.AppKey("users", UserService)
PROGRESS = web.AppKey("progress", ProgressService)
POSTS = web.AppKey("posts", PostService)
STATS = web.AppKey("stats", StatsService)
CHANGE_FEED = web.AppKey("change_feed", Any)  # storage.kv.RedisChangeFeed, or None
REDIS = web.AppKey("redis", Any)  # redis.asyncio.Redis, or None without Redis
METRICS = web.AppKey("metrics", CollectorRegistry)
ENDPOINTS = web.AppKey("endpoints", list)  # api.routing.Endpoint, for the OpenAPI document
OVERRIDES = web.AppKey("overrides", dict)
MODEL_STATE = web.AppKey("model_state", Any)  # callable returning "loading" | "loaded" | "failed"
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)
SERVICES = web.AppKey("services", Services)
