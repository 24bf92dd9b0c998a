"""What the domain needs from the outside: storage (a unit of work with one repository per
aggregate) and a publisher. The SQL repositories in storage/repositories/ implement these
protocols; mypy checks that they do where app.py hands storage's factory to the services.

One module per area; every port is re-exported here, so `from domain.ports import X` is the
one way to name it."""

from domain.ports.accounts import (
    AccountDataRepository,
    AccountMail,
    AccountTokenRepository,
    RevocationRepository,
    UserRepository,
)
from domain.ports.chat import ChatRepository, NotificationRepository
from domain.ports.feeds import ChangeFeed, ChangeHandler, Publisher
from domain.ports.groups import GroupRepository, GroupSessionRepository
from domain.ports.matching import MatchingRepository
from domain.ports.progress import FocusSessionRepository, PostRepository, ProgressRepository
from domain.ports.safety import BlockRepository, ModerationRepository, PushRepository
from domain.ports.threads import InviteRepository, SearchRepository, ThreadRepository
from domain.ports.unit_of_work import T, UnitOfWork, UnitOfWorkFactory
from domain.ports.uploads import (
    BlobStore,
    CleanImage,
    EncodedImage,
    ImageCleaner,
    UploadRepository,
)

__all__ = [
    "AccountDataRepository",
    "AccountMail",
    "AccountTokenRepository",
    "BlobStore",
    "BlockRepository",
    "ChangeFeed",
    "ChangeHandler",
    "ChatRepository",
    "CleanImage",
    "EncodedImage",
    "FocusSessionRepository",
    "GroupRepository",
    "GroupSessionRepository",
    "ImageCleaner",
    "InviteRepository",
    "MatchingRepository",
    "ModerationRepository",
    "NotificationRepository",
    "PostRepository",
    "ProgressRepository",
    "Publisher",
    "PushRepository",
    "RevocationRepository",
    "SearchRepository",
    "T",
    "ThreadRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UploadRepository",
    "UserRepository",
]
