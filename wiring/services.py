"""The root's services part: every domain service, built once at start-up with its
collaborators, and the matching index subscribed to the events it follows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from domain.accounts import AccountCounters, AccountLimits, AccountService
from domain.bulkhead import KeyedBulkhead
from domain.bus import EventBus
from domain.chat import ChatService
from domain.deletion import AccountDeletion
from domain.errors import DomainError
from domain.events import MemberRequested, MembershipChanged, ProfileChanged
from domain.group_sessions import GroupSessionService
from domain.groups import GroupService
from domain.hashing import HashQueue
from domain.invites import InviteService
from domain.mail_tokens import MailTokens
from domain.moderation_rules import blocked_either_way, drop_blockers
from domain.notifications import NotificationService
from domain.pins import PinService
from domain.posts import PostService
from domain.progress import ProgressService
from domain.progress_records import utc_now
from domain.refresh import SignInTokens
from domain.revocation import RevokedTokenCache
from domain.search import SearchService
from domain.security import PasswordHasher, TokenIssuer
from domain.socket_access import SocketAuthenticator
from domain.stats import StatsService
from domain.throttle import MemoryWindowCounter
from domain.users import LoginLimits, UserService
from matching.embedder import Embedder, HashingEmbedder
from matching.scoring import Weights
from storage.kv import RedisWindowCounter
from storage.uow import socket_access_factory
from wiring.keys import (
    ACCOUNT_MAIL,
    ACCOUNTS,
    CHANGE_FEED,
    CHAT,
    DELETION,
    GROUP_SESSIONS,
    GROUPS,
    INVITES,
    MATCHING,
    METRIC_FAMILIES,
    MODEL_STATE,
    NOTIFICATIONS,
    OVERRIDES,
    PINS,
    POSTS,
    PROGRESS,
    PUBLISHER,
    REDIS,
    SEARCH,
    SERVICES,
    SETTINGS,
    SOCKET_ACCESS,
    STATS,
    UOW,
    USERS,
    Services,
)
from wiring.metrics import TimedMatching

log = logging.getLogger("studysync.app")


async def services_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    throttle = settings.login_throttle
    bus = EventBus()
    hashing = HashQueue(settings.auth.hash_concurrency, settings.auth.hash_queue)
    uow = app[UOW]
    clock = app[OVERRIDES].get("clock") or utc_now
    hasher = app[OVERRIDES].get("hasher") or PasswordHasher(settings.bcrypt_rounds, hashing)
    tokens = TokenIssuer(settings.jwt_secret, settings.jwt_expiry_hours * 3600)
    revoked = RevokedTokenCache()
    sign_in = SignInTokens(
        uow, tokens, timedelta(days=settings.auth.refresh_days), bus, revoked, clock
    )
    mail_tokens = MailTokens(
        app[ACCOUNT_MAIL],
        timedelta(hours=settings.email.verify_hours),
        timedelta(minutes=settings.email.reset_minutes),
        clock,
    )
    users = UserService(
        uow,
        hasher,
        tokens,
        _window_counter(app, "throttle", throttle.window_seconds),
        LoginLimits(throttle.max_failures, throttle.window_seconds),
        bus,
        settings.email_domain_suffix,
        revoked,
        settings.accounts.admins,
        sign_in=sign_in,
        mail_tokens=mail_tokens,
        require_verified=settings.accounts.require_verified_email,
    )
    _install_accounts(app, hasher, sign_in, mail_tokens, bus)
    app[SOCKET_ACCESS] = SocketAuthenticator(
        socket_access_factory(uow), tokens, revoked, settings.accounts.require_verified_email
    )
    posts = PostService(uow, bus, clock)
    chat = ChatService(
        uow,
        bus,
        _window_counter(app, "sends", 60),
        settings.chat.send_rate_per_minute,
        settings.chat.max_content_chars,
        KeyedBulkhead(
            settings.chat.history_reads_per_user,
            settings.chat.history_queue_per_user,
            "history reads",
        ),
        mention_filter=drop_blockers,  # domain/threads.py MentionFilter: blocks silence mentions
    )
    services = Services(
        uow=uow,
        bus=bus,
        users=users,
        notifications=NotificationService(uow),
        groups=GroupService(uow, bus),
        posts=posts,
        progress=ProgressService(uow, bus, posts, clock),
        stats=StatsService(uow, clock),
        sessions=GroupSessionService(uow, bus, app[OVERRIDES].get("clock")),
        chat=chat,
    )
    _install(app, services)
    app[SEARCH] = SearchService(uow)
    app[INVITES] = InviteService(uow, bus)
    app[PINS] = PinService(uow, bus)
    pruning = asyncio.create_task(_prune_revoked_tokens(users))
    yield
    pruning.cancel()
    await asyncio.gather(pruning, return_exceptions=True)
    await app[ACCOUNTS].close()
    hashing.close()


def _install_accounts(
    app: web.Application,
    hasher: PasswordHasher,
    sign_in: SignInTokens,
    mail_tokens: MailTokens,
    bus: EventBus,
) -> None:
    config = app[SETTINGS].accounts
    accounts = AccountService(
        app[UOW],
        hasher,
        sign_in,
        mail_tokens,
        AccountCounters(
            _window_counter(app, "accounts", 3600),
            _window_counter(app, "passwords", config.password_window_seconds),
        ),
        AccountLimits(
            config.resend_per_hour,
            config.reset_mails_per_hour,
            config.reset_requests_per_hour,
            config.password_failures,
        ),
        bus,
    )
    app[ACCOUNTS] = accounts
    app[DELETION] = AccountDeletion(app[UOW], accounts.check_password, bus)


def _install(app: web.Application, services: Services) -> None:
    app[SERVICES] = services
    app[PUBLISHER] = services.bus
    app[USERS] = services.users
    app[NOTIFICATIONS] = services.notifications
    app[GROUPS] = services.groups
    app[POSTS] = services.posts
    app[PROGRESS] = services.progress
    app[STATS] = services.stats
    app[GROUP_SESSIONS] = services.sessions
    app[CHAT] = services.chat


async def _prune_revoked_tokens(users: UserService, every_seconds: float = 3600) -> None:
    """At start-up and then hourly, forget logged-out tokens that have expired anyway."""
    while True:
        try:
            await users.prune_revoked_tokens()
        except DomainError as error:  # the database is down: try again next time
            log.warning("pruning revoked tokens failed: %s", error.message)
        await asyncio.sleep(every_seconds)


def _window_counter(
    app: web.Application, name: str, window_seconds: float
) -> RedisWindowCounter | MemoryWindowCounter:
    """Shared by all workers through Redis when there is one."""
    redis = app[REDIS]
    if redis is None:
        return MemoryWindowCounter(window_seconds)
    return RedisWindowCounter(redis, f"{app[SETTINGS].redis_prefix}:{name}", window_seconds)


def _embedder(app: web.Application) -> Embedder | HashingEmbedder:
    chosen = app[OVERRIDES].get("embedder")
    if chosen is not None:
        return chosen
    config = app[SETTINGS].matching
    return HashingEmbedder() if config.embedder == "hashing" else Embedder(config.model)


async def matching_context(app: web.Application) -> AsyncIterator[None]:
    config = app[SETTINGS].matching
    weights = Weights(
        config.weight_subjects,
        config.weight_schedule,
        config.weight_style,
        config.weight_performance,
        config.threshold,
        goals=config.weight_goals,
    )
    embedder = _embedder(app)
    bus = app[PUBLISHER]
    metrics = app[METRIC_FAMILIES]
    service = TimedMatching(
        app[UOW],
        embedder,
        weights,
        config.model_wait_seconds,
        # Who a user must never be shown (blocks, either way): user id -> frozenset of ids.
        excluded_ids=app[OVERRIDES].get("excluded_ids") or blocked_either_way(app[UOW]),
        publisher=bus,
        dismiss_days=config.dismiss_days,
    )
    service.histogram = metrics.matching_seconds
    metrics.embed_queue.set_function(lambda: service.pending_refreshes)
    app[MATCHING] = service
    app[MODEL_STATE] = lambda: (embedder.name, embedder.state)
    bus.subscribe(ProfileChanged, service.on_profile_changed)
    bus.subscribe(MembershipChanged, service.on_membership_changed)
    bus.subscribe(MemberRequested, service.on_member_requested)
    feed = app[CHANGE_FEED]
    if feed is not None:
        service.announce = feed.publish
        feed.subscribe(service.handle_remote_change)
    await service.start()
    yield
    await service.close()
    embedder.close()
