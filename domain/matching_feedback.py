"""What the caller told matching (dismissed cards, expiring) and who they must never see (the
injected `excluded_ids`, blocks), and the suggested groups built with both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import InvalidInput, ModelLoading, NotFound
from domain.matching_index import MatchingIndex
from domain.matching_records import StudentRecord
from matching.formation import FormationOptions, SuggestedGroup, suggest_groups
from matching.profile import Profile

DISMISS_KINDS = ("group", "partner", "suggested")


@dataclass(frozen=True)
class Feedback:
    excluded: frozenset[int]  # never shown (blocked, either way)
    partners: frozenset[int]  # dismissed partners: hidden as partners, down-weighted in groups
    groups: frozenset[int]  # dismissed groups: hidden
    keys: frozenset[str]  # dismissed suggested groups: hidden

    @classmethod
    def none(cls) -> Feedback:
        return cls(frozenset(), frozenset(), frozenset(), frozenset())


def _ids(targets: set[str]) -> frozenset[int]:
    return frozenset(int(t) for t in targets if t.isdigit())


@dataclass(frozen=True)
class Dismissal:
    kind: str
    target: str
    until: datetime


class MatchingFeedback(MatchingIndex):
    async def _require_model(self) -> None:
        if not await self.embedder.wait_ready(self._model_wait):
            raise ModelLoading(
                "The matching model is still loading; try again in a few seconds"
                if self.embedder.state == "loading"
                else "The matching model failed to load"
            )

    async def _seeker(self, user_id: int) -> tuple[StudentRecord, Profile]:
        if user_id not in self._records:
            await self.refresh_student(user_id)
        record, profile = self._records.get(user_id), self._students.get(user_id)
        if record is None or profile is None:
            raise NotFound("User not found")
        return record, profile

    async def feedback(self, user_id: int) -> Feedback:
        """One small query (this user's unexpired dismissals) and the injected exclusions."""
        async with self._uow() as uow:
            dismissed = await uow.matching.dismissals(user_id, datetime.now(UTC))
        excluded = frozenset(await self.excluded_ids(user_id)) - {user_id}
        return Feedback(
            excluded,
            _ids(dismissed.get("partner", set())),
            _ids(dismissed.get("group", set())),
            frozenset(dismissed.get("suggested", set())),
        )

    async def dismiss(self, user_id: int, kind: str, target: int | str) -> Dismissal:
        """Hide a card from this user for `dismiss_days`."""
        text = self._dismiss_target(user_id, kind, target)
        until = datetime.now(UTC) + timedelta(days=self.dismiss_days)
        async with self._uow() as uow:
            await uow.matching.dismiss(user_id, kind, text, until)
            await uow.commit()
        return Dismissal(kind, text, until)

    def _dismiss_target(self, user_id: int, kind: str, target: int | str) -> str:
        if kind not in DISMISS_KINDS:
            raise InvalidInput("Unknown card kind", {"kind": f"one of {', '.join(DISMISS_KINDS)}"})
        if kind == "suggested":
            if not isinstance(target, str) or not _is_key(target):
                raise InvalidInput("Not a suggestion key", {"id": "a suggested group's key"})
            return target
        if isinstance(target, bool) or not isinstance(target, int) or target < 1:
            raise InvalidInput("A card id is a positive integer", {"id": "a positive integer"})
        if kind == "partner":
            if target == user_id:
                raise InvalidInput("You cannot dismiss yourself", {"id": "another student's id"})
            if target not in self._records:
                raise NotFound("User not found")
        elif target not in self._cards:
            raise NotFound("Group not found")
        return str(target)

    def formation_input(self, seeker: Profile) -> dict[str, frozenset[int]]:
        """On the event loop (the index's dicts change there): for each of the caller's
        subjects they have no group for, who is already in a group for it."""
        return {
            s: frozenset(self._grouped.get(s, ()))
            for s in seeker.subjects
            if seeker.id not in self._grouped.get(s, {})
        }

    def proposals(
        self,
        seeker: Profile,
        grouped: dict[str, frozenset[int]],
        feedback: Feedback,
        limit: int,
        *,
        hide_dismissed: bool = True,
    ) -> list[SuggestedGroup]:
        """Suggested new groups (on the scoring thread) for the subjects in `grouped`
        (formation_input): students in no group for the subject, never an excluded one,
        dismissed partners down-weighted."""
        return suggest_groups(
            seeker,
            self._students,
            None,
            self.weights,
            grouped=grouped,
            dismissed=feedback.partners,
            excluded=feedback.excluded,
            hidden_keys=feedback.keys if hide_dismissed else (),
            options=FormationOptions(limit=limit),
            subject_names=self._subject_names,
            subjects=grouped.keys(),
        )


def _is_key(text: str) -> bool:
    return len(text) == 20 and all(c in "0123456789abcdef" for c in text)
