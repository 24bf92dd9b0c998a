"""Suggested groups as cards, and turning one into a real group
(`POST /api/groups/from-suggestion`): the caller leads it, the others are invited."""

from __future__ import annotations

import asyncio

from domain.errors import Conflict
from domain.events import MembershipChanged, NotificationCreated
from domain.groups import Group, GroupDetails
from domain.matching_feedback import Feedback, MatchingFeedback
from domain.matching_records import SuggestedCard
from domain.notifications import NewNotification, Notification
from domain.ports import UnitOfWork
from matching.formation import FormationOptions, SuggestedGroup, target_size
from matching.profile import Profile, format_schedule, subject_set

STALE = (
    "This suggested group is no longer available (someone joined another group or changed "
    "their profile); ask for recommendations again"
)
# A key is looked up among this many proposals, not only the 3 shown: a newcomer who would now
# rank higher does not make a shown proposal stale.
LOOKUP_LIMIT = 64


class MatchingSuggestions(MatchingFeedback):
    def suggestion_cards(
        self,
        seeker: Profile,
        grouped: dict[str, frozenset[int]],
        feedback: Feedback,
        names: dict[str, str],
    ) -> list[SuggestedCard]:
        """Up to 3 proposals as cards (scoring thread)."""
        cards = []
        for group in self.proposals(seeker, grouped, feedback, 3):
            members = [(i, self._records[i].name) for i in group.member_ids if i in self._records]
            if len(members) != group.size:
                continue  # a member was deleted while this ran
            subjects = sorted(names.get(s, s) for s in group.subjects)
            cards.append(SuggestedCard(group, members, subjects))
        return cards

    async def create_from_suggestion(self, user_id: int, key: str, title: str | None) -> Group:
        """Create the proposal `key` (still valid now) with the caller as leader, and invite
        the others. 409 when it is stale. The check is repeated under row locks, so two
        concurrent creations of one proposal (or of two overlapping ones) make one group."""
        await self._require_model()
        record, seeker = await self._seeker(user_id)
        feedback = await self.feedback(user_id)
        grouped = self.formation_input(seeker)
        loop = asyncio.get_running_loop()
        proposals = await loop.run_in_executor(
            self._executor,
            lambda: self.proposals(seeker, grouped, feedback, LOOKUP_LIMIT, hide_dismissed=False),
        )
        proposal = next((p for p in proposals if p.key == key), None)
        if proposal is None:
            raise Conflict(STALE)
        subject = self._subject_names.get(proposal.formed_for, proposal.formed_for)
        details = GroupDetails(
            title=(title or f"{subject} study group")[:100],
            subject=subject[:100],
            description=proposal.explanation[:2000],
            schedule=format_schedule(proposal.common_mask)[:200],
            location="TBD",
            max_members=min(50, max(target_size(seeker, FormationOptions()), proposal.size)),
            join_policy="open",  # the invited accept by joining
        )

        async def work(uow: UnitOfWork) -> tuple[Group, list[Notification]]:
            await self._check_still_free(uow, proposal)
            group = await uow.groups.create(user_id, details)
            invite = NewNotification(
                "invite",
                "Study group invitation",
                f"{record.name} invited you to {group.title}",
                {"groupId": group.id, "actor": {"id": user_id, "name": record.name}},
            )
            notes = await uow.notifications.add_many(list(proposal.member_ids[1:]), invite)
            await uow.commit()
            return group, notes

        group, notes = await self._uow.run(work)
        if self._publisher is not None:
            await self._publisher.publish(MembershipChanged(user_id, group.id, True))
            for note in notes:
                await self._publisher.publish(NotificationCreated(note))
        return group

    @staticmethod
    async def _check_still_free(uow: UnitOfWork, proposal: SuggestedGroup) -> None:
        """Every member still exists and is in no active group for the subject (locked)."""
        members = list(proposal.member_ids)
        if await uow.matching.lock_students(members) != set(members):
            raise Conflict(STALE)
        for subjects in (await uow.matching.group_subjects_of(members)).values():
            if proposal.formed_for in subject_set(list(subjects)):
                raise Conflict(STALE)
