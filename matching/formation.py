"""Suggested new groups: the caller plus compatible students who are in no group for a subject.

Every proposal's members all share at least one (day, slot) and one subject. A member's
satisfaction is their mean pairwise score with the other members; a proposal is scored by its
least-satisfied member (Masthoff's least misery), never by the average. Per caller subject: a
candidate pool from the index (the top `pool_size` students with that subject, free for it and
sharing a slot with the caller, at or above the threshold with the caller), then a greedy
search over the pool from several seeds, each adding the student that keeps the least-satisfied
member happiest while a common slot remains, up to the preferred size."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from matching.explain import join_words, shared_goals_text
from matching.index import ProfileIndex
from matching.pairwise import satisfactions, score_matrix
from matching.profile import Profile, mask_to_slots
from matching.scoring import Weights, match_percentage

DEFAULT_GROUP_SIZE = 4


@dataclass(frozen=True)
class SuggestedGroup:
    key: str  # stable: same members, subjects and common slots → same key
    member_ids: tuple[int, ...]  # the caller first, then the others by id
    subjects: frozenset[str]  # normalised subjects every member studies (never empty)
    common_mask: int  # (day, slot) bits every member shares (never 0)
    score: float  # least misery: the least-satisfied member's satisfaction
    satisfaction: dict[int, float] = field(default_factory=dict)
    explanation: str = ""
    formed_for: str = ""  # the subject whose free students it was formed from

    @property
    def size(self) -> int:
        return len(self.member_ids)

    @property
    def percentage(self) -> int:
        return match_percentage(self.score)

    @property
    def common_slots(self) -> list[tuple[str, str]]:
        return mask_to_slots(self.common_mask)


@dataclass(frozen=True)
class FormationOptions:
    limit: int = 3  # proposals returned
    pool_size: int = 24  # candidates per subject taken from the index
    seeds: int = 8  # greedy starts per subject (the best pool members)
    dismissed_factor: float = 0.5  # a dismissed student's pool rank and proposals weigh this
    default_size: int = DEFAULT_GROUP_SIZE  # when the caller gives no groupSize
    min_score: float | None = None  # least misery floor and pool threshold; None: weights'


def proposal_key(member_ids: Collection[int], subjects: Collection[str], common_mask: int) -> str:
    text = f"{sorted(member_ids)}|{sorted(subjects)}|{common_mask}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def target_size(caller: Profile, options: FormationOptions) -> int:
    return max(2, caller.preferred_size or options.default_size)


def suggest_groups(
    caller: Profile,
    index: ProfileIndex,
    available: Mapping[str, Collection[int]] | None,
    weights: Weights,
    *,
    grouped: Mapping[str, Collection[int]] | None = None,
    dismissed: Collection[int] = (),
    excluded: Collection[int] = (),
    hidden_keys: Collection[str] = (),
    options: FormationOptions | None = None,
    subject_names: Mapping[str, str] | None = None,
    subjects: Collection[str] | None = None,
) -> list[SuggestedGroup]:
    """Up to `options.limit` proposals, best least misery first.

    available: normalised subject → ids of students in no group for that subject (the domain
    knows memberships); a subject missing from it has no candidates. grouped: the complement,
    subject → ids already in a group for it (cheaper when most students are free); with
    available=None every indexed student not in `grouped` is free.
    dismissed: ids the caller dismissed (down-weighted). excluded: ids that must never appear
    (blocked either way). hidden_keys: proposals the caller dismissed. subjects: the caller's
    subjects to form groups for (default all; the domain leaves out those the caller already
    has a group for)."""
    options = options or FormationOptions()
    if not caller.subjects or not caller.has_schedule or caller.schedule_mask == 0:
        return []  # nothing to share: the domain shows a hint instead
    floor = weights.threshold if options.min_score is None else options.min_score
    found: dict[frozenset[int], tuple[float, SuggestedGroup]] = {}
    wanted = caller.subjects if subjects is None else caller.subjects & frozenset(subjects)
    for subject in sorted(wanted):
        free = _free_rows(index, subject, available, grouped)
        pool_weights = replace(weights, threshold=floor)
        pool = _pool(caller, index, subject, free, pool_weights, dismissed, excluded, options)
        for objective, group in _search(caller, pool, weights, floor, set(dismissed), options):
            members = frozenset(group.member_ids)
            if group.key in hidden_keys or members in found:
                continue
            found[members] = (objective, replace(group, formed_for=subject))
    ranked = sorted(found.values(), key=lambda item: (-item[0], item[1].key))
    names = subject_names or {}
    return [_explained(group, index, caller, names) for _, group in ranked[: options.limit]]


def _free_rows(
    index: ProfileIndex,
    subject: str,
    available: Mapping[str, Collection[int]] | None,
    grouped: Mapping[str, Collection[int]] | None,
) -> np.ndarray:
    """Rows of students in no group for the subject (bool per row)."""
    free = np.ones(index.size, dtype=bool)
    if available is not None:
        free = index.rows_of(available.get(subject, ()))
    if grouped is not None and grouped.get(subject):
        free &= ~index.rows_of(grouped[subject])
    return free


def _pool(
    caller: Profile,
    index: ProfileIndex,
    subject: str,
    free: np.ndarray,
    weights: Weights,
    dismissed: Collection[int],
    excluded: Collection[int],
    options: FormationOptions,
) -> list[Profile]:
    """Top candidates for one subject, vectorised in the index (at or above the threshold with
    the caller); dismissed ones rank lower."""
    if index.size == 0:
        return []
    allowed = free & index.with_subject(subject)
    allowed &= index.sharing_a_slot(caller.schedule_mask)
    if not allowed.any():
        return []
    dismissed = set(dismissed)
    extra = len(dismissed)  # enough extra rows that dismissed ones cannot crowd out the pool
    target = target_size(caller, options)
    matches = index.score(
        caller,
        weights,
        options.pool_size + extra,
        {*excluded, caller.id},
        allowed=allowed,
    )
    ranked = sorted(
        matches,
        key=lambda m: (-(m.score * (options.dismissed_factor if m.id in dismissed else 1)), m.id),
    )
    profiles = [index.get(m.id) for m in ranked]
    fitting = [
        p
        for p in profiles
        if p is not None and (p.preferred_size is None or abs(p.preferred_size - target) <= 1)
    ]
    return fitting[: options.pool_size]


def _search(
    caller: Profile,
    pool: list[Profile],
    weights: Weights,
    floor: float,
    dismissed: set[int],
    options: FormationOptions,
) -> list[tuple[float, SuggestedGroup]]:
    """Greedy from each of the best `seeds` pool members. Index 0 of the matrix is the caller."""
    if not pool:
        return []
    people = [caller, *pool]
    matrix = score_matrix(people, weights)
    masks = np.array([p.schedule_mask for p in people], dtype=np.uint32)
    penalty = np.array([options.dismissed_factor if p.id in dismissed else 1.0 for p in people])
    target = target_size(caller, options)
    results = []
    for seed in range(1, min(options.seeds, len(pool)) + 1):
        members = [0, seed]
        common = int(masks[0] & masks[seed])
        if common == 0 or least_misery(matrix, members) < floor:
            continue
        while len(members) < target:
            best = _best_addition(matrix, masks, penalty, members, common, floor)
            if best is None:
                break
            members.append(best)
            common &= int(masks[best])
        group = _proposal(people, matrix, members, common)
        results.append((group.score * float(np.prod(penalty[members])), group))
    return results


def least_misery(matrix: np.ndarray, members: list[int]) -> float:
    return float(satisfactions(matrix, members).min())


def _best_addition(
    matrix: np.ndarray,
    masks: np.ndarray,
    penalty: np.ndarray,
    members: list[int],
    common: int,
    floor: float,
) -> int | None:
    """The pool member whose joining leaves the least-satisfied member happiest (all at once:
    each member's new mean is (their current sum + their score with the newcomer) / size)."""
    size = len(members)  # the others each member will have after the addition
    chosen = np.asarray(members, dtype=np.intp)
    candidates = np.flatnonzero(masks & np.uint32(common))
    candidates = candidates[~np.isin(candidates, members)]
    if candidates.size == 0:
        return None
    sums = matrix[np.ix_(chosen, chosen)].sum(axis=1)
    theirs = (sums[:, None] + matrix[np.ix_(chosen, candidates)]) / size
    newcomer = matrix[np.ix_(candidates, chosen)].sum(axis=1) / size
    misery = np.minimum(theirs.min(axis=0), newcomer)
    passing = misery >= floor - 1e-12
    if not passing.any():
        return None
    objective = np.where(passing, misery * penalty[candidates], -np.inf)
    return int(candidates[int(np.argmax(objective))])  # first best: pool order breaks ties


def _proposal(
    people: list[Profile], matrix: np.ndarray, members: list[int], common: int
) -> SuggestedGroup:
    chosen = [people[i] for i in members]
    subjects = frozenset.intersection(*(p.subjects for p in chosen))
    ids = (chosen[0].id, *sorted(p.id for p in chosen[1:]))
    satisfied = satisfactions(matrix, members)
    by_id = {p.id: float(s) for p, s in zip(chosen, satisfied, strict=True)}
    return SuggestedGroup(
        proposal_key(ids, subjects, common), ids, subjects, common, float(satisfied.min()), by_id
    )


def _explained(
    group: SuggestedGroup, index: ProfileIndex, caller: Profile, names: Mapping[str, str]
) -> SuggestedGroup:
    members = [caller] + [index.get(i) for i in group.member_ids[1:]]
    text = explain_proposal(group, [m for m in members if m is not None], names)
    return replace(group, explanation=text)


def explain_proposal(
    group: SuggestedGroup, members: list[Profile], names: Mapping[str, str]
) -> str:
    subjects = join_words(sorted(names.get(s, s) for s in group.subjects))
    slots = join_words([f"{d} {s}" for d, s in group.common_slots[:3]])
    if all(m.has_goals for m in members):
        shared = frozenset.intersection(*(m.goals for m in members))
        goals = f"all {shared_goals_text(shared)}" if shared else "different study goals"
    else:
        goals = "study goals not compared (not everyone lists them)"
    return (
        f"{group.size} students who all study {subjects} and are all free {slots}; {goals}. "
        f"Even the least-matched member averages {group.percentage}% with the others"
    )
