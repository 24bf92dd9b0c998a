"""Typed application keys: every shared object the handlers reach through the app."""

from __future__ import annotations

from typing import Any

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
