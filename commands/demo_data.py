"""The demo data itself, deterministic per index: students' profiles, group plans, messages,
reactions and constellations (commands/demo.py seeds them through the services)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from domain.groups import GroupDetails

DEMO_PASSWORD = "studysync-demo"
DEMO_DOMAIN = "demo.edu"

# Word lists, kept compact.
# fmt: off
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

# fmt: on


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


def demo_subjects(index: int) -> list[str]:
    return demo_profile(index)["subjects"]


@dataclass(frozen=True, kw_only=True)
class GroupPlan(GroupDetails):
    index: int


def group_plan(index: int) -> GroupPlan:
    rng = random.Random(f"group-{index}")
    title, subject, description = GROUP_TEMPLATES[index % len(GROUP_TEMPLATES)]
    if index >= len(GROUP_TEMPLATES):
        title = f"{title} #{index // len(GROUP_TEMPLATES) + 1}"
    return GroupPlan(
        index=index,
        title=title,
        subject=subject,
        description=description,
        schedule=rng.choice(GROUP_TIMES),
        location=rng.choice(GROUP_PLACES),
        max_members=rng.choice([4, 5, 6, 8]),
        join_policy="approval" if index % 5 == 4 else "open",
    )
