"""The documentation: links that resolve, measured times and sizes stated in one place, and the
README's two commands intact.

The docs are README.md (what to run), docs/*.md (results, methods, scaling, provenance),
config/README.md and slurm/README.md. A time or size that two of them state drifts: the smoke
run was "about seven minutes" in README.md and "about two minutes" in config/README.md at once.
Each measured quantity therefore has one home, and every other doc links to it.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted(
    [ROOT / "README.md", ROOT / "config" / "README.md", ROOT / "slurm" / "README.md"]
    + list((ROOT / "docs").glob("*.md"))
)


def rel(path):
    return path.relative_to(ROOT).as_posix()


# --- statements of a time or a size ---------------------------------------------------------

NUMBER = (
    r"(?:\d[\d,]*(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|fifteen|twenty|thirty|forty|fifty|sixty|ninety)"
)
WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
}  # fmt: skip
# "77 min 10 s" is one quantity; "40-minute" and "device-hours" count too.
DURATION = re.compile(
    rf"(?<![\w.])(?P<n>{NUMBER})[\s-]*(?P<u>days?|hours?|h|minutes?|min|seconds?|s)\b"
    rf"(?:\s+(?P<n2>\d+)\s*(?P<u2>seconds?|s)\b)?",
    re.IGNORECASE,
)
DEVICE_HOURS = re.compile(rf"(?<![\w.])(?P<n>{NUMBER})\s*device[\s-](?:hours?|h)\b", re.I)
SIZE = re.compile(
    rf"(?<![\w.])~?(?P<n>{NUMBER})\s*(?P<u>[KMGT]i?B|bytes)\b",
)
SECONDS = {"day": 86400, "hour": 3600, "h": 3600, "minute": 60, "min": 60, "second": 1, "s": 1}
BYTES = {"K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}

# What a quantity is about: the nearest of these words before it in its sentence (table row,
# list item, code block), else the nearest after it. Words of other subjects are listed too, so
# that a time beside them is not taken for the default run's ("dvc push took 11 s").
SUBJECTS = [
    ("smoke run", r"\bsmoke\b"),
    ("power config", r"\bpower\b"),
    ("paper scale", r"\bpaper\b|\bprepared (?:data|shards)\b|\bshards\b"),
    ("budget", r"\bbudget\b"),
    ("DVC operation", r"dvc push|funcspec restore|dvc\.lock|dvc commit"),
    ("default run", r"\bdefault\b|snakemake --cores all\b"),
]
# A sentence that names a commit is about that commit's run, another run than the current one.
COMMIT = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")
# The quantities that must be stated in exactly one doc, and at least one.
REQUIRED = [("smoke run", "time"), ("default run", "time"), ("paper scale", "size")]


def units(text):
    """The text's statements: a fenced code block, a table row, a list item or a sentence."""
    blocks, lines, fence = [], [], None
    for line in text.splitlines():
        if fence is not None:
            fence.append(line)
            if line.lstrip().startswith("```"):
                blocks.append(" ".join(fence))
                fence = None
            continue
        if line.lstrip().startswith("```"):
            blocks.append(" ".join(lines))
            lines, fence = [], [line]
        elif not line.strip() or line.startswith("#"):
            blocks.append(" ".join(lines))
            lines = []
            blocks.append(line)
        elif line.startswith("|") or re.match(r"\s*(?:[-*]|\d+\.)\s", line):
            blocks.append(" ".join(lines))
            lines = [line]
        else:
            lines.append(line)
    blocks.append(" ".join(lines))
    for block in blocks:
        if block.lstrip().startswith("```") or block.startswith("|"):
            yield block
        else:
            yield from re.split(r"(?<=[.!?])\*{0,2}\s+(?=[A-Z*])", block)


def seconds(match):
    n = match["n"].replace(",", "").lower()
    value = float(WORDS.get(n, n)) * SECONDS[match["u"].lower().rstrip("s") or "s"]
    if match["n2"]:
        value += float(match["n2"])
    return value


def subject(unit, start):
    """The subject word nearest before `start` in the unit, else the nearest after it."""
    before, after = None, None
    for name, pattern in SUBJECTS:
        for found in re.finditer(pattern, unit, re.IGNORECASE):
            if found.start() < start and (before is None or found.start() > before[0]):
                before = (found.start(), name)
            if found.start() >= start and (after is None or found.start() < after[0]):
                after = (found.start(), name)
    return (before or after or (None, None))[1]


def statements(text):
    """(subject, kind, commits named beside it, value, the quantity as written) for every time
    and size the text states about a known subject."""
    for unit in units(text):
        commits = frozenset(COMMIT.findall(unit))
        found = []
        hours = list(DEVICE_HOURS.finditer(unit))
        for match in hours:
            value = float(WORDS.get(match["n"].lower(), match["n"].replace(",", "")))
            found.append((match, "device-hours", value))
        for match in DURATION.finditer(unit):
            if any(h.start() <= match.start() < h.end() for h in hours):
                continue
            found.append((match, "time", seconds(match)))
        for match in SIZE.finditer(unit):
            n = match["n"].replace(",", "").lower()
            scale = BYTES.get(match["u"][0], 1) * (1.024 if "i" in match["u"] else 1)
            found.append((match, "size", float(WORDS.get(n, n)) * scale))
        for match, kind, value in found:
            about = subject(unit, match.start())
            # A run takes minutes: a time in seconds beside "default" is a step of it, or a
            # benchmark of the default datasets, not the run.
            if about == "default run" and kind == "time" and match["u"][0].lower() == "s":
                continue
            if about is not None:
                yield about, kind, commits, value, match.group(0)


def disagreements(docs):
    """Each subject stated in two docs, and the same quantity about any subject stated in two
    docs (a copy, whatever it was taken to be about).

    A statement that names no commit is about the current code, one that names commits is
    about those commits' runs: two docs disagree when both state the current value, or both
    state a value of the same commit's run."""
    found, copies = {}, {}
    for name, text in docs.items():
        for about, kind, commits, value, written in statements(text):
            found.setdefault((about, kind), []).append((name, commits, written))
            copies.setdefault((kind, round(value, 3)), {}).setdefault(name, []).append(written)
    problems = []
    for (about, kind), said in sorted(found.items(), key=str):
        for i, (doc, commits, written) in enumerate(said):
            for other, other_commits, other_written in said[i + 1 :]:
                same_run = commits & other_commits or not (commits or other_commits)
                if other != doc and same_run:
                    run = f" of {', '.join(sorted(commits))}" if commits else ""
                    problems.append(
                        f"the {about}'s {kind}{run} is stated in {doc} ({written!r}) and in"
                        f" {other} ({other_written!r})"
                    )
    for (kind, _), where in sorted(copies.items(), key=str):
        if len(where) > 1:
            problems.append(f"the same {kind} is stated in {len(where)} docs: {where}")
    return problems


def read_docs():
    return {rel(path): path.read_text() for path in DOCS}


def test_every_measured_time_and_size_is_stated_in_one_doc():
    """Bug guarded: two docs state one measurement and disagree (README.md said the smoke run
    takes about seven minutes, config/README.md about two). Every time, size and device-hour
    count is attributed to its subject (smoke run, default run, budget, paper scale, power
    config, DVC operations; a sentence naming a commit is about that commit's run), and each
    subject may be stated in one doc only; the others link to it."""
    assert disagreements(read_docs()) == []


def test_the_smoke_run_default_run_and_paper_disk_are_each_stated_once():
    """Bug guarded: the one statement of a time or size a user plans by is deleted while a link
    still points at it. The smoke run's and the default run's time and the disk at paper scale,
    for the current code (no commit named), are each stated in exactly one doc."""
    where = {}
    for name, text in read_docs().items():
        for about, kind, commits, _, _ in statements(text):
            if not commits:
                where.setdefault((about, kind), set()).add(name)
    for key in REQUIRED:
        assert len(where.get(key, ())) == 1, (key, where.get(key))


def test_the_check_catches_the_smoke_time_the_docs_disagreed_on():
    """Bug guarded: a checker that sees nothing passes. The two sentences that disagreed (the
    README's and config/README.md's, verbatim) must be reported, and one of them alone not."""
    readme = (
        "`python benchmarks/rule_times.py` sums them per rule. Configs (`--configfile`):\n"
        "`config/config.yaml` (default), `config/smoke.yaml` (CI-sized: every network with two"
        " seeds, about seven minutes),\n`config/paper.yaml` (the full study).\n"
    )
    config = (
        "| `smoke.yaml` | the CI-sized run: two tiny synthetic datasets, end to end in about two"
        " minutes |\n"
    )
    [problem] = disagreements({"README.md": readme, "config/README.md": config})
    assert "smoke run" in problem and "seven minutes" in problem and "two minutes" in problem
    assert disagreements({"README.md": readme}) == []
    # Another commit's run is another measurement; the same commit's is not.
    old = "The default of 5560dfa took 68 min."
    assert disagreements({"a.md": "The default took 77 min.", "b.md": old}) == []
    assert disagreements({"a.md": "5560dfa's default: 68 min 27 s.", "b.md": old}) != []
    # A time beside another subject's words is that subject's, not the default run's.
    assert [s[0] for s in statements("On the default `dvc push` took 11 s.")] == ["DVC operation"]
    assert [s[0] for s in statements("The default took **77 min 10 s**.")] == ["default run"]


# --- links ------------------------------------------------------------------------------------


def prose(text):
    """The text without code: links in code are examples, not links."""
    text = re.sub(r"^\s*```.*?^\s*```", "", text, flags=re.MULTILINE | re.DOTALL)
    # An inline code span may wrap onto the next line.
    return re.sub(r"`[^`]+`", "", text)


def slug(heading):
    """GitHub's anchor for a heading: the rendered text, lower case, without punctuation but
    hyphens and underscores, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())
    text = re.sub(r"[^\w\- ]", "", text.replace("`", "").lower())
    return text.replace(" ", "-")


def anchors(path):
    found, seen = set(), {}
    for line in re.sub(r"^\s*```.*?^\s*```", "", path.read_text(), flags=re.M | re.S).splitlines():
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            base = slug(heading[1])
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def links(path):
    return [m[1] for m in LINK.finditer(prose(path.read_text()))]


@pytest.mark.parametrize("doc", DOCS, ids=rel)
def test_every_relative_link_resolves(doc):
    """Bug guarded: a page or image moved (README sections into docs/) while a link still points
    at the old place, or at a heading renamed since (GitHub slugs). Web addresses are not
    followed."""
    broken = []
    for target in links(doc):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (file.suffix != ".md" or anchor not in anchors(file)):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == [], f"{rel(doc)}: {broken}"


def test_the_link_check_sees_links_images_and_anchors():
    """Bug guarded: a link pattern that matches nothing lets every broken link pass."""
    assert slug("What the paper config assumes (uncertain items of the study)") == (
        "what-the-paper-config-assumes-uncertain-items-of-the-study"
    )
    assert slug("`datasets.<name>`") == "datasetsname"
    assert slug("1. Workflow overview") == "1-workflow-overview"
    text = "![Figure 1](fig1.png) see [Time](results.md#time) and `[not](a-link.md)`"
    assert [m[1] for m in LINK.finditer(prose(text))] == ["fig1.png", "results.md#time"]


# --- the README's two commands --------------------------------------------------------------

RUN = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && snakemake --cores all"
TEST = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest"
)


def test_the_readme_states_the_two_commands_ci_runs():
    """Bug guarded: the README's install-and-run or install-and-test command is edited into one
    that no longer works, or drifts from what CI runs (.ci/run: the README's test command on a
    clean clone)."""
    readme = (ROOT / "README.md").read_text()
    assert f"```bash\n{RUN}\n```" in readme
    assert f"```bash\n{TEST}\n```" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv .venv && . .venv/bin/activate && pip install -q -e '.[test]'" in ci
    assert re.search(r"^python -m pytest$", ci, re.MULTILINE)
