"""Demo data: `python server.py seed-demo --users N --groups M`.

Everything goes through the domain services of a fully wired (but not listening) application, so
the same rules, events and embeddings apply as for real clients. Deterministic: user i is always
demo<i>@demo.edu with the same profile, group j always has the same title and leader, and message
k of group j carries the clientId `demo-g<j>-m<k>`. A second run finds what exists and adds
nothing; a larger --users/--groups adds only the new students and groups (existing demo groups,
their members and messages are left as they are).
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from tqdm import tqdm

from api import keys
from app import create_app
from domain.chat import NewMessage
from domain.errors import Conflict, DomainError
from settings import Settings

DEMO_PASSWORD = "studysync-demo"
DEMO_DOMAIN = "demo.edu"
DEMO_BCRYPT_ROUNDS = 4
REINDEX_BATCH = 64
REGISTER_CONCURRENCY = 4
DEMO_LOGIN_GROUPS = (0, 4)  # demo001 is in these groups and recommended the others

FIRST = [
    "Ava", "Liam", "Maya", "Noah", "Zara", "Ethan", "Priya", "Mateo", "Chloe", "Kenji", "Amara",
    "Lucas", "Sofia", "Omar", "Hana", "Diego", "Ingrid", "Kwame", "Elena", "Ravi", "Leila",
    "Jonas", "Mei", "Samuel", "Aisha", "Tomás", "Freya", "Yusuf", "Nora", "Daniel",
]
LAST = [
    "Nguyen", "Okafor", "Schmidt", "Patel", "García", "Kim", "Johansson", "Haddad", "Rossi",
    "Mensah", "Tanaka", "Silva", "Cohen", "Novak", "Brown", "Ibrahim", "Dubois", "Chen",
    "Kowalski", "Adeyemi", "Larsen", "Moreau", "Singh", "Petrov", "Walker",
]
UNIVERSITIES = ["State University", "Riverside College", "Northlake Institute of Technology"]
YEARS = ["Freshman", "Sophomore", "Junior", "Senior", "Graduate"]
TIMEZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London"]

# major -> the subjects its students take
MAJORS: dict[str, list[str]] = {
    "Computer Science": ["Data Structures", "Algorithms", "Discrete Math", "Linear Algebra",
                         "Operating Systems", "Machine Learning"],
    "Mathematics": ["Calculus II", "Linear Algebra", "Real Analysis", "Probability",
                    "Discrete Math"],
    "Biology": ["Organic Chemistry", "Cell Biology", "Genetics", "Biostatistics"],
    "Chemistry": ["Organic Chemistry", "Physical Chemistry", "Calculus II", "Lab Techniques"],
    "Physics": ["Classical Mechanics", "Electromagnetism", "Calculus II", "Linear Algebra",
                "Quantum Mechanics"],
    "Economics": ["Microeconomics", "Macroeconomics", "Econometrics", "Probability"],
    "Psychology": ["Cognitive Psychology", "Research Methods", "Biostatistics", "Neuroscience"],
    "History": ["Modern European History", "Historiography", "Academic Writing"],
}

STYLE_OPENINGS = [
    "I learn best by working through practice problems with other people",
    "I'm a visual learner: diagrams, mind maps and colour-coded notes help me most",
    "I like to read the material on my own first and then discuss it in a small group",
    "Explaining concepts out loud to someone else is how things finally click for me",
    "I need structure: a clear agenda, timed pomodoro blocks and short breaks",
    "Flashcards and spaced repetition work well for me, especially before exams",
    "I understand things through real examples and hands-on projects more than theory",
    "I prefer quiet, focused sessions where everyone works and we check in every hour",
]
STYLE_DETAILS = [
    "I'm happy to quiz others and be quizzed.",
    "I usually bring summaries of the lecture to share.",
    "I like to whiteboard proofs and derivations step by step.",
    "Past exam papers under timed conditions are my favourite way to prepare.",
    "I ask a lot of questions, so a patient group is great.",
    "I enjoy teaching what I already know and learning the rest from others.",
    "Music off, phones away: I focus best with few distractions.",
    "Online sessions with a shared document suit me as well as meeting in person.",
]
ENVIRONMENTS = ["Library", "Café", "Online", "Study room", "Dorm lounge"]
METHODS = ["Practice problems", "Flashcards", "Group discussion", "Teaching others",
           "Pomodoro", "Mind maps", "Past papers"]
GOALS = ["exam prep", "homework help", "deep understanding", "project work", "accountability"]

# The weekly rhythms students actually have: (days, slots)
RHYTHMS = [
    (["Monday", "Wednesday"], ["evening"]),
    (["Tuesday", "Thursday"], ["afternoon", "evening"]),
    (["Monday", "Tuesday", "Wednesday", "Thursday"], ["morning"]),
    (["Saturday", "Sunday"], ["morning", "afternoon"]),
    (["Wednesday", "Friday"], ["afternoon"]),
    (["Sunday", "Tuesday"], ["evening", "night"]),
    (["Monday", "Thursday"], ["afternoon"]),
]

GROUP_TEMPLATES = [
    ("Algorithms Interview Prep", "Algorithms", "LeetCode-style problems, explained aloud."),
    ("Calculus II Problem Crew", "Calculus II", "Weekly problem sets and exam practice."),
    ("Linear Algebra Study Circle", "Linear Algebra", "Proofs and matrix practice together."),
    ("Organic Chem Survival Group", "Organic Chemistry", "Mechanisms, flashcards, past exams."),
    ("Data Structures Lab Buddies", "Data Structures", "Debugging labs and reviewing code."),
    ("Micro & Macro Econ Review", "Microeconomics", "Graphs, models and essay outlines."),
    ("Electromagnetism Homework Help", "Electromagnetism", "Maxwell without tears."),
    ("Cell Biology Flashcard Club", "Cell Biology", "Spaced repetition before every quiz."),
    ("Research Methods Writing Sprint", "Research Methods", "Quiet writing blocks + feedback."),
    ("Modern History Essay Group", "Modern European History", "Sources, outlines, drafts."),
    ("Machine Learning Paper Club", "Machine Learning", "A paper a week and its code."),
    ("Discrete Math Proof Workshop", "Discrete Math", "Induction, graphs, counting."),
    ("Genetics Exam Squad", "Genetics", "Punnett squares to gene regulation."),
    ("Quantum Mechanics Reading Group", "Quantum Mechanics", "One chapter a week, discussed."),
    ("Probability Practice Hour", "Probability", "Short problems, lots of discussion."),
    ("Econometrics Stata Sessions", "Econometrics", "Regression projects, step by step."),
]
GROUP_PLACES = ["Main Library, room 2B", "Science Café", "Online (video call)",
                "Engineering building, study room 4", "Student Union lounge"]
GROUP_TIMES = ["Mon/Wed 6-8 PM", "Tue/Thu 4-6 PM", "Sat 10 AM-12 PM", "Sun 7-9 PM",
               "Fri 2-4 PM"]

MESSAGES = [
    "Hi everyone! Looking forward to studying {subject} together 👋",
    "Did anyone finish the problem set yet? I'm stuck on question 4.",
    "For question 4, try drawing it out first — it helped me a lot.",
    "Can we go over last week's lecture on {subject}? I missed a few slides.",
    "I uploaded my notes to the shared folder.",
    "Thanks, those notes are great!",
    "Should we meet a bit earlier this week? The exam is on Friday.",
    "Works for me. Same place as usual?",
    "I found a really good video that explains this, will share it.",
    "Quick poll: practice exam under timed conditions next session?",
    "Yes please, I need the timed practice.",
    "Could someone explain the difference between the two methods we saw today?",
    "Sure — the first one is simpler but the second one generalises better.",
    "Let's each bring two questions we're unsure about.",
    "Great session today, I finally get it 🎉",
    "Reminder: bring your calculators and the formula sheet.",
]
REACTIONS = ["👍", "❤️", "😂", "🎉", "🤔", "👀"]
CONSTELLATIONS = [("Orion: Exam Prep", 5), ("Cassiopeia: Weekly Reading", 3),
                  ("Lyra: Problem Sets", 4), ("Draco: Final Project", 6)]


def demo_rhythm(index: int) -> int:
    """Which of RHYTHMS a student keeps: three in four (and the demo login) follow their
    major's; the rest have their own."""
    rng = random.Random(f"rhythm-{index}")
    major_index = (index - 1) % len(MAJORS)
    if index == 1 or rng.random() < 0.75:
        return major_index % len(RHYTHMS)
    return rng.randrange(len(RHYTHMS))


def demo_email(index: int) -> str:
    return f"demo{index:03d}@{DEMO_DOMAIN}"


def demo_profile(index: int) -> dict[str, Any]:
    """The same realistic student for the same index, every run. Classmates overlap: each
    major has two core subjects everyone takes, and most of a major keeps the same weekly
    rhythm, so matching finds real partners and groups among them."""
    rng = random.Random(f"user-{index}")
    major_index = (index - 1) % len(MAJORS)
    major = list(MAJORS)[major_index]
    core, electives = MAJORS[major][:2], MAJORS[major][2:]
    subjects = core + rng.sample(electives, k=min(len(electives), rng.randint(1, 2)))
    days, slots = RHYTHMS[demo_rhythm(index)]
    schedule = {day: list(slots) for day in days}
    if rng.random() < 0.3:  # some students also have a weekend afternoon
        schedule.setdefault(rng.choice(["Saturday", "Sunday"]), []).append("afternoon")
    style = f"{rng.choice(STYLE_OPENINGS)}. {rng.choice(STYLE_DETAILS)}"
    first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
    return {
        "email": demo_email(index),
        "name": f"{first} {last}",
        "university": UNIVERSITIES[index % len(UNIVERSITIES)],
        "major": major,
        "year": rng.choice(YEARS),
        "learning_style": style,
        "subjects": subjects,
        "study_environments": rng.sample(ENVIRONMENTS, 2),
        "study_methods": rng.sample(METHODS, 3),
        "schedule": schedule,
        "performance_level": rng.randint(1, 5),
        "group_preferences": {
            "groupSize": rng.choice([3, 4, 5, 6]),
            "sessionDuration": rng.choice([45, 60, 90, 120]),
            "studyGoals": rng.sample(GOALS, 2),
        },
        "timezone": rng.choice(TIMEZONES),
    }


def _subjects(index: int) -> list[str]:
    return demo_profile(index)["subjects"]


@dataclass(frozen=True)
class GroupPlan:
    index: int
    title: str
    subject: str
    description: str
    schedule: str
    location: str
    max_members: int
    join_policy: str


def group_plan(index: int) -> GroupPlan:
    rng = random.Random(f"group-{index}")
    title, subject, description = GROUP_TEMPLATES[index % len(GROUP_TEMPLATES)]
    if index >= len(GROUP_TEMPLATES):
        title = f"{title} #{index // len(GROUP_TEMPLATES) + 1}"
    return GroupPlan(
        index,
        title,
        subject,
        description,
        rng.choice(GROUP_TIMES),
        rng.choice(GROUP_PLACES),
        rng.choice([4, 5, 6, 8]),
        "approval" if index % 5 == 4 else "open",
    )


@dataclass
class Counts:
    users: int = 0
    groups: int = 0
    memberships: int = 0
    messages: int = 0
    reactions: int = 0
    group_sessions: int = 0
    focus_sessions: int = 0

    def summary(self) -> str:
        return ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in vars(self).items())


class DemoSeeder:
    def __init__(self, app: web.Application, rng_seed: str = "studysync-demo") -> None:
        self.app = app
        self.users = app[keys.USERS]
        self.groups = app[keys.GROUPS]
        self.chat = app[keys.CHAT]
        self.sessions = app[keys.GROUP_SESSIONS]
        self.progress = app[keys.PROGRESS]
        self.counts = Counts()
        self.notes: list[str] = []
        self._created: set[int] = set()  # users registered by this run
        self._existing_titles: set[str] = set()
        self.seed = rng_seed

    async def run(self, n_users: int, n_groups: int, bar: tqdm) -> list[int]:
        user_ids = await self._users(n_users, bar)
        constellations = await self._constellations(user_ids[0])
        self._existing_titles = await self._demo_group_titles(user_ids)
        for index in range(n_groups):
            bar.set_postfix_str("groups")
            await self._group(index, user_ids)
            bar.update(1)
        for index, user_id in enumerate(user_ids):
            if self._new_user(user_id):
                await self._progress(index + 1, user_id, constellations)
        return user_ids

    # ---- users ----------------------------------------------------------------------------

    async def _users(self, n_users: int, bar: tqdm) -> list[int]:
        ids: list[int] = [0] * n_users
        gate = asyncio.Semaphore(REGISTER_CONCURRENCY)  # bcrypt runs in worker threads

        async def one(index: int) -> None:
            async with gate:
                ids[index - 1] = await self._user(index)
            bar.set_postfix_str("students")
            bar.update(1)

        await asyncio.gather(*(one(i) for i in range(1, n_users + 1)))
        return ids

    async def _user(self, index: int) -> int:
        profile = demo_profile(index)
        existing = await self._user_id(profile["email"])
        if existing is not None:
            return existing
        try:
            user, _token = await self.users.register(dict(profile), DEMO_PASSWORD)
        except Conflict:  # registered meanwhile by another seeder
            found = await self._user_id(profile["email"])
            assert found is not None
            return found
        self._created.add(user.id)
        self.counts.users += 1
        return user.id

    async def _user_id(self, email: str) -> int | None:
        async with self.app[keys.UOW]() as uow:
            credentials = await uow.users.credentials_by_email(email)
        return credentials.user_id if credentials else None

    def _new_user(self, user_id: int) -> bool:
        return user_id in self._created

    # ---- groups, members, messages, sessions ----------------------------------------------

    async def _group(self, index: int, user_ids: list[int]) -> None:
        """A group forms around a subject and a time: a student taking the subject leads it,
        classmates with the same weekly rhythm join."""
        plan = group_plan(index)
        if plan.title in self._existing_titles:
            return  # an existing demo group is left exactly as it is
        n = len(user_ids)
        takers = [
            i for i in range(1, n + 1)
            if plan.subject in _subjects(i) and (i != 1 or index in DEMO_LOGIN_GROUPS)
        ] or [index % n + 1]
        rhythm = Counter(demo_rhythm(i) for i in takers).most_common(1)[0][0]
        in_rhythm = [i for i in takers if demo_rhythm(i) == rhythm]
        leader_index = in_rhythm[index * 7 % len(in_rhythm)]
        leader = user_ids[leader_index - 1]
        group_id = await self._create_group(plan, leader)
        rng = random.Random(f"{self.seed}-members-{index}")
        fits = [i for i in in_rhythm if i != leader_index]
        rng.shuffle(fits)
        chosen = fits[: rng.randint(2, plan.max_members - 1)]
        if index in DEMO_LOGIN_GROUPS and leader_index != 1 and 1 not in chosen:
            chosen = [1, *chosen[: plan.max_members - 2]]  # the demo login has rooms to open
        members = [user_ids[i - 1] for i in chosen]
        speakers = [leader]
        for user_id in members:
            if await self._join(group_id, leader, user_id):
                speakers.append(user_id)
        await self._messages(index, group_id, speakers, rng)
        await self._group_sessions(index, group_id, speakers, rng)

    async def _create_group(self, plan: GroupPlan, leader: int) -> int:
        fields = {
            "title": plan.title,
            "subject": plan.subject,
            "description": plan.description,
            "schedule": plan.schedule,
            "location": plan.location,
            "max_members": plan.max_members,
            "join_policy": plan.join_policy,
        }
        group = await self.groups.create(leader, fields)
        self.counts.groups += 1
        return group.id

    async def _demo_group_titles(self, user_ids: list[int]) -> set[str]:
        """Titles of the groups demo students are already in (demo titles are unique)."""
        titles: set[str] = set()
        for user_id in user_ids:
            titles.update(item.group.title for item in await self.groups.mine(user_id))
        return titles

    async def _join(self, group_id: int, leader: int, user_id: int) -> bool:
        """Join (approval groups: ask, and the leader approves). False when the group is full."""
        try:
            result = await self.groups.join(user_id, group_id)
            if result.status == "pending":
                await self.groups.decide(leader, group_id, user_id, approve=True)
        except Conflict:
            return False
        self.counts.memberships += 1
        return True

    async def _messages(
        self, index: int, group_id: int, speakers: list[int], rng: random.Random
    ) -> None:
        subject = group_plan(index).subject
        count = rng.randint(8, len(MESSAGES))
        for k, template in enumerate(MESSAGES[:count]):
            author = speakers[k % len(speakers)] if k else speakers[0]
            new = NewMessage(
                group_id,
                template.format(subject=subject),
                "announcement" if k == 0 else "text",
                client_id=f"demo-g{index}-m{k}",
            )
            try:
                message, created = await self.chat.send(author, new)
            except DomainError:  # e.g. the author could not join a full group
                continue
            if not created:
                continue
            self.counts.messages += 1
            for emoji in rng.sample(REACTIONS, rng.choice([0, 0, 1, 2])):
                reactor = rng.choice(speakers)
                await self.chat.react(reactor, message.id, emoji)
                self.counts.reactions += 1

    async def _group_sessions(
        self, index: int, group_id: int, speakers: list[int], rng: random.Random
    ) -> None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        subject = group_plan(index).subject
        for offset_days, title in ((2, f"{subject} review"), (9, "Practice exam")):
            start = now + timedelta(days=offset_days, hours=rng.randint(0, 6))
            fields = {
                "title": title,
                "description": "Bring your questions and the latest problem set.",
                "location": group_plan(index).location,
                "scheduled_time": start,
                "duration_minutes": rng.choice([60, 90, 120]),
            }
            session = await self.sessions.schedule(speakers[0], group_id, fields)
            self.counts.group_sessions += 1
            for user_id in speakers[1:]:
                status = rng.choice(["going", "going", "maybe", "not_going"])
                await self.sessions.rsvp(user_id, session.id, status)

    # ---- progress (constellations, attempts, focus sessions) -----------------------------

    async def _constellations(self, owner: int) -> list[tuple[int, int]]:
        existing = await self.progress.constellations(owner, None, 200)
        by_name = {view.constellation.name: view.constellation for view in existing}
        result = []
        for name, weight in CONSTELLATIONS:
            item = by_name.get(name)
            if item is None:
                item = (await self.progress.create_constellation(owner, name, weight)).constellation
            result.append((item.id, item.weight))
        return result

    async def _progress(
        self, index: int, user_id: int, constellations: list[tuple[int, int]]
    ) -> None:
        rng = random.Random(f"{self.seed}-progress-{index}")
        constellation_id, weight = rng.choice(constellations)
        attempt = await self.progress.start_attempt(user_id, user_id, constellation_id)
        attempt_id = attempt.attempt.id
        for _ in range(rng.randint(1, weight)):
            view = await self.progress.create_session(
                user_id, user_id, attempt_id, rng.choice([25, 30, 45, 50])
            )
            await self.progress.complete_session(user_id, view.session.id)
            await self.progress.add_star(user_id, attempt_id)
            self.counts.focus_sessions += 1


class DeferredEmbedder:
    """Stands in for the model while seeding: profiles are stored without vectors (as they are
    while a server's model loads), then `reindex` embeds all of them in batches afterwards —
    much faster than one profile per event."""

    name = "deferred"
    state = "failed"

    async def start(self) -> None:
        return None

    async def wait_ready(self, within_seconds: float) -> bool:
        return False

    async def encode(self, texts: list[str]) -> Any:
        raise RuntimeError("embeddings are computed after seeding")

    def close(self) -> None:
        return None


async def seed(
    settings: Settings,
    n_users: int,
    n_groups: int,
    embedder: str | None = None,
    show_progress: bool = True,
) -> DemoSeeder:
    """Seed, then embed every profile still missing a vector with `embedder` (default: the
    configured one) through `server.py reindex --only-stale`'s code path."""
    # For this process only: seeding sends many messages per student within a minute, so the
    # chat send rate is lifted; and the demo accounts share a published password, so bcrypt's
    # full cost (~0.3 s a hash here) would only slow seeding down — the cost is stored in each
    # hash, so logins verify as usual. Every other rule applies unchanged.
    seeding = replace(
        settings,
        bcrypt_rounds=min(settings.bcrypt_rounds, DEMO_BCRYPT_ROUNDS),
        chat=replace(settings.chat, send_rate_per_minute=1_000_000),
    )
    app = create_app(seeding, overrides={"embedder": DeferredEmbedder()})
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()  # storage, services and the matching index, without a listener
    try:
        seeder = DemoSeeder(app)
        with tqdm(
            total=n_users + n_groups,
            desc="seeding demo data",
            unit="item",
            file=sys.stderr,
            disable=not show_progress,
        ) as bar:
            await seeder.run(n_users, n_groups, bar)
    finally:
        await runner.cleanup()
    from reindex import run_reindex

    kind = embedder or settings.matching.embedder
    if await run_reindex(settings, kind, REINDEX_BATCH, only_stale=True) is None:
        seeder.notes.append(
            "the model could not be loaded: profiles are embedded when the server's model loads"
        )
    return seeder
