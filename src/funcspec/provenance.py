"""Provenance: what every job read and wrote, and how; the lineage of any artifact, re-verified.

Every `funcspec` command that writes artifacts leaves one record, a JSON file under
`results/provenance/`, named after the first path it wrote (results/train/dual/model.pt ->
results/provenance/train/dual/model.pt.json). A record holds the Snakemake rule, the exact
command, the parameters it was given, the seeds among them, a sha256 of every input (a folder as
one digest over its files), a sha256 of every file written, the code version, software versions,
device, the machine that computed (funcspec.machine), host and start/end time. Inputs lead to the
records that wrote them, back to the raw images; `verify` re-hashes every file on that path.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from tqdm import tqdm

from .atomic import atomic_path
from .codedigest import code_digest
from .errors import FuncspecError
from .machine import HARDWARE, differences, facts
from .shards import sha256_file
from .versions import software

# Files inside an output folder that the job itself did not write.
NOT_WRITTEN_BY_JOB = {".snakemake_timestamp"}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def files_of(path) -> list[Path]:
    """A file, or every file below a folder (sorted), leaving out what Snakemake adds."""
    path = Path(path)
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*") if p.is_file() and p.name not in NOT_WRITTEN_BY_JOB
        )
    return [path]


def hash_files(paths) -> dict[str, str]:
    """{file: sha256} for every file of every path (folders expanded)."""
    return {f.as_posix(): sha256_file(f) for p in paths for f in files_of(p)}


def folder_digest(hashes: dict[str, str], folder: str) -> str:
    """One sha256 for a folder: over the sorted (path inside the folder, file sha256) pairs."""
    prefix = folder.rstrip("/") + "/"
    lines = "".join(
        f"{name[len(prefix) :]} {digest}\n"
        for name, digest in sorted(hashes.items())
        if name.startswith(prefix)
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def file_stat(path) -> list[int]:
    # The inode too: every pipeline write replaces the file (atomic rename), so a rewrite is
    # seen even where the file system keeps whole-second modification times.
    stat = os.stat(path)
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def _digest(files: dict[str, str], path: str) -> str:
    """The hash of a path from its files' hashes: the file's own, or the folder digest."""
    return files[path] if path in files else folder_digest(files, path)


def hash_path(path, known: dict | None = None) -> str:
    """sha256 of a file, or the folder digest of a folder.

    `known`: {file: (sha256, stat)} as recorded by the jobs that wrote the files. A file whose
    size, modification time and inode are still the recorded ones is not read again (as make
    and DVC decide): a paper-scale job would otherwise re-read ~200 GB of prepared shards to
    record its inputs. `verify` always re-reads.
    """
    known = known or {}
    files = {}
    for f in files_of(path):
        digest, stat = known.get(f.as_posix(), (None, None))
        files[f.as_posix()] = (
            digest if stat is not None and stat == file_stat(f) else sha256_file(f)
        )
    return _digest(files, Path(path).as_posix())


def read_records(folder) -> list[dict]:
    """Every record in a records folder, each with `_record`: where it lies."""
    records = []
    for path in sorted(Path(folder).rglob("*.json")):
        record = json.loads(path.read_text())
        record["_record"] = path.as_posix()
        records.append(record)
    return records


def recorded_files(paths) -> dict[str, tuple]:
    """{file: (sha256, stat)} from every record of the results trees of `paths`."""
    known = {}
    for folder in {records_folder(p) for p in paths}:
        for record in read_records(folder):
            stats = record.get("output_stats", {})
            known.update(
                {name: (digest, stats.get(name)) for name, digest in record["outputs"].items()}
            )
    return known


def results_root(path) -> Path | None:
    """The `results` folder an artifact lies in (None outside one)."""
    for parent in Path(path).parents:
        if parent.name == "results":
            return parent
    return None


def records_folder(artifact) -> Path:
    """Where the records of an artifact's results tree are: results/provenance, or beside an
    artifact outside any `results` folder."""
    root = results_root(artifact)
    return (Path(artifact).parent if root is None else root) / "provenance"


def record_path(first_output) -> Path:
    """Where the record of the job that wrote `first_output` goes."""
    first_output = Path(first_output)
    root = results_root(first_output)
    name = first_output.name if root is None else first_output.relative_to(root).as_posix()
    return records_folder(first_output) / f"{name}.json"


def _git(*args) -> str | None:
    source = Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "-C", str(source), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version() -> dict:
    """The package version, and the git commit of its source with a flag for local changes."""
    commit = _git("rev-parse", "HEAD")
    dirty = (
        None
        if commit is None
        else bool(_git("status", "--porcelain", "--untracked-files=no", "--", "."))
    )
    return {"funcspec": metadata.version("funcspec"), "git_commit": commit, "git_dirty": dirty}


def device() -> str:
    """The device the command computed on: the commands that run networks take CUDA whenever
    it is there, so CUDA if the command imported torch and a GPU was present; with its TF32
    state, which the command set (funcspec.gpu)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        tf32 = {
            "matmul": torch.backends.cuda.matmul.allow_tf32,
            "conv": torch.backends.cudnn.allow_tf32,
        }
        state = ", ".join(f"{op} {'on' if on else 'off'}" for op, on in tf32.items())
        return f"cuda ({torch.cuda.get_device_name(0)}), TF32 {state}"
    return "cpu"


def seeds(parameters: dict, prefix: str = "") -> dict:
    """Every parameter whose name says it is a seed, by its dotted key."""
    found = {}
    for key, value in parameters.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            found.update(seeds(value, f"{name}."))
        elif "seed" in key and value is not None:
            found[name] = value
    return found


def write_record(
    *, rule, command, parameters, inputs, outputs, started, external=None, subcommand=None
) -> Path:
    """Hash inputs and outputs and write the job's record next to its artifacts.

    `inputs`: paths read; `outputs`: paths written (folders expanded to their files);
    `external`: {path: {"note": ..., "fingerprint": ...}} for inputs too large to hash here (a
    dataset root whose every image's hash the job itself lists, and its root_fingerprint).
    """
    known = recorded_files(inputs)
    record = {
        "rule": rule,
        "command": command,
        "parameters": parameters,
        "seeds": seeds(parameters),
        "inputs": {Path(p).as_posix(): hash_path(p, known) for p in inputs},
        "external_inputs": external or {},
        "outputs": hash_files(outputs),
        "output_stats": {f.as_posix(): file_stat(f) for p in outputs for f in files_of(p)},
        "code": {
            **code_version(),
            "subcommand": subcommand,
            "digest": code_digest(subcommand) if subcommand else None,
        },
        "software": software(),
        "device": device(),
        "machine": facts(),
        "host": socket.gethostname(),
        "started": started,
        "ended": now(),
    }
    path = record_path(outputs[0])
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return path


@dataclass
class Records:
    """Every record of one results tree, indexed by the files they wrote."""

    by_file: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def of(cls, artifact: str) -> Records:
        index = cls()
        for record in read_records(records_folder(artifact)):
            for name in record["outputs"]:
                index.by_file[name] = record
        if index.producer(artifact) is None:
            raise FuncspecError(
                f"no provenance record lists {artifact} among the files it "
                f"wrote (records: {records_folder(artifact)})"
            )
        return index

    def producer(self, path: str) -> dict | None:
        """The record that wrote a file, or every file of a folder (None if no single job did)."""
        if path in self.by_file:
            return self.by_file[path]
        prefix = path.rstrip("/") + "/"
        writers = {r["_record"]: r for name, r in self.by_file.items() if name.startswith(prefix)}
        return next(iter(writers.values())) if len(writers) == 1 else None

    def recorded(self, path: str) -> dict[str, str]:
        """{file: sha256} of a path as its producer recorded it."""
        record = self.producer(path)
        if record is None:
            return {}
        prefix = path.rstrip("/") + "/"
        return {n: h for n, h in record["outputs"].items() if n == path or n.startswith(prefix)}


def _short(digest: str) -> str:
    return f"sha256:{digest[:12]}"


def _located(function):
    """Run `function(artifact)` from the folder holding the artifact's `results` tree, with the
    artifact relative to it: records name files as the jobs were given them, relative to the
    workflow's folder, so an absolute path or another working directory finds them too."""

    @functools.wraps(function)
    def located(artifact, **options):
        path = Path(os.path.abspath(artifact))
        root = results_root(path)
        if root is None:
            return function(Path(artifact).as_posix().rstrip("/"), **options)
        with contextlib.chdir(root.parent):
            return function(path.relative_to(root.parent).as_posix(), **options)

    return located


@_located
def lineage(artifact) -> list[str]:
    """The artifact's lineage as the lines of a tree: each path with its hash and the job that
    wrote it, down to the raw images and the files no job wrote (class lists, dataset roots)."""
    records = Records.of(artifact)
    lines, shown = [], set()

    def visit(path, digest, prefix, connector, below):
        record, files = records.producer(path), records.recorded(path)
        digest = digest or _digest(files, path)
        size = f" (folder, {len(files)} files)" if files and path not in files else ""
        head = f"{prefix}{connector}{path}  {_short(digest)}{size}"
        if record is None:
            lines.append(f"{head}  not written by the pipeline")
            return
        if record["_record"] in shown:
            lines.append(f"{head}  (lineage above)")
            return
        shown.add(record["_record"])
        lines.append(
            f"{head}  <- {record['rule']}, {record['ended']}, {record['host']}, "
            f"{record['device']}  [{record['_record']}]"
        )
        children = [(p, h, None) for p, h in record["inputs"].items()]
        children += [
            (p, None, _external(about)["note"]) for p, about in record["external_inputs"].items()
        ]
        for i, (child, child_hash, note) in enumerate(children):
            last = i == len(children) - 1
            inner = prefix + below
            if note is not None:
                lines.append(f"{inner}{'└── ' if last else '├── '}{child}  external: {note}")
            else:
                visit(
                    child, child_hash, inner, "└── " if last else "├── ", "    " if last else "│   "
                )

    visit(artifact, None, "", "", "")
    return lines


@_located
def verify(artifact, deep: bool = False, notes: list | None = None) -> list[str]:
    """Re-hash every file in the artifact's lineage; one line per mismatch (empty: all match).

    Each file must still have the hash its producer recorded, and every job that read it must
    have recorded that same content (a job that ran on an older version shows up here). Each
    job's recorded code digest must be that of the working tree's code, and each dataset root
    it read must still have its recorded fingerprint; `deep` re-hashes every source image of
    such a root against the manifest.csv of the job that read it.

    `notes` receives what is information, not a mismatch: each job computed on another machine
    than this one, with the facts that differ (its numbers are then another draw, not an error).
    """
    records = Records.of(artifact)
    here = facts(load_torch=True)
    problems, current, checked, expanded = [], {}, set(), set()
    todo = [(artifact, None, None)]  # (path, its hash as a consumer recorded it, that consumer)
    while todo:
        path, used, consumer = todo.pop()
        if path not in current:
            current[path] = hash_files([path]) if Path(path).exists() else {}
        now_files = current[path]
        if not now_files:
            problems.append(f"{path}: missing")
            continue
        if consumer is not None and _digest(now_files, path) != used:
            problems.append(
                f"{path}: {consumer['rule']} read {_short(used)} "
                f"[{consumer['_record']}], the file now has "
                f"{_short(_digest(now_files, path))}"
            )
        record = records.producer(path)
        if record is None or path in checked:
            continue
        checked.add(path)
        expected = records.recorded(path)
        for name in sorted(expected.keys() | now_files.keys()):
            if name not in now_files:
                problems.append(
                    f"{name}: missing, written by {record['rule']} [{record['_record']}]"
                )
            elif name not in expected:
                problems.append(f"{name}: not written by {record['rule']} [{record['_record']}]")
            elif expected[name] != now_files[name]:
                problems.append(
                    f"{name}: content changed: {record['rule']} wrote "
                    f"{_short(expected[name])} [{record['_record']}], the file "
                    f"now has {_short(now_files[name])}"
                )
        if record["_record"] not in expanded:  # a job reached through two of its outputs
            expanded.add(record["_record"])
            todo += [(p, h, record) for p, h in record["inputs"].items()]
            problems += _code_changed(record)
            problems += _software_changed(record)
            problems += _sources_changed(record, deep)
            if notes is not None and (other := _elsewhere(record, here)):
                notes.append(other)
    return problems


def _elsewhere(record: dict, here: dict) -> str | None:
    """The record's job computed on another machine: which of its facts differ from `here`."""
    differ = differences(record.get("machine", {}), here, HARDWARE)
    if not differ:
        return None
    return (
        f"{', '.join(record['outputs'])}: computed on another machine: {', '.join(differ)} "
        f"[{record['_record']}]"
    )


def _external(about) -> dict:
    """An external input's entry; records before root fingerprints held only a note."""
    return about if isinstance(about, dict) else {"note": about, "fingerprint": None}


def _code_changed(record: dict) -> list[str]:
    """The record's job ran other code than the working tree's for its subcommand."""
    if "subcommand" not in record["code"]:
        return [
            f"{', '.join(record['outputs'])}: made by code of unknown digest (recorded "
            f"before code digests) [{record['_record']}]"
        ]
    subcommand, recorded = record["code"]["subcommand"], record["code"]["digest"]
    if subcommand is None:  # a record written outside the command line (tests, scripts)
        return []
    current = code_digest(subcommand)
    if current == recorded:
        return []
    return [
        f"{', '.join(record['outputs'])}: made by other code: `funcspec {subcommand}` was "
        f"{_short(recorded)} when {record['rule']} ran [{record['_record']}], the working "
        f"tree's is {_short(current)}"
    ]


def _software_changed(record: dict) -> list[str]:
    """Packages that shape results whose version differs from the one the job ran with."""
    now = software()
    changed = [
        f"{name} {version} (now {now[name]})"
        for name, version in sorted(record["software"].items())
        if name in now and name != "snakemake" and version != now[name]
    ]
    if not changed:
        return []
    return [
        f"{', '.join(record['outputs'])}: made with other software: {', '.join(changed)} "
        f"[{record['_record']}]"
    ]


def _sources_changed(record: dict, deep: bool) -> list[str]:
    """A dataset root the job read no longer has its recorded fingerprint; with `deep`, every
    source image listed in the job's manifest.csv re-hashed."""
    from .datasets import root_fingerprint

    problems = []
    for root, about in record["external_inputs"].items():
        if not Path(root).is_dir():
            problems.append(f"{root}: missing, read by {record['rule']} [{record['_record']}]")
            continue
        if root_fingerprint(root) != _external(about)["fingerprint"]:
            problems.append(
                f"{root}: files added, removed or modified since {record['rule']} "
                f"read it [{record['_record']}]"
            )
        if deep:
            manifests = [name for name in record["outputs"] if name.endswith("/manifest.csv")]
            problems += [problem for name in manifests for problem in _sources_unlike(root, name)]
    return problems


def _sources_unlike(root, manifest_csv) -> list[str]:
    """Source images whose content is not the sha256 that manifest_csv lists for them."""
    problems = []
    with open(manifest_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in tqdm(
        rows, desc=f"re-hashing the sources of {manifest_csv}", unit="image", file=sys.stderr
    ):
        source = Path(root) / row["source"]
        if not source.is_file():
            problems.append(f"{source}: missing, listed in {manifest_csv}")
        elif (digest := sha256_file(source)) != row["sha256"]:
            problems.append(
                f"{source}: content changed: {manifest_csv} lists "
                f"{_short(row['sha256'])}, the file now has {_short(digest)}"
            )
    return problems


def add_arguments(p) -> None:
    p.add_argument("artifact", help="a file or folder under results/")
    p.add_argument(
        "--verify",
        action="store_true",
        help="re-hash every file in the lineage and compare the code that made it "
        "with the working tree's; exit 1 on any mismatch",
    )
    p.add_argument(
        "--deep",
        action="store_true",
        help="with --verify, also re-hash every source image of a dataset on disk "
        "against its manifest.csv",
    )


def main(args) -> list:
    if not args.verify:
        print("\n".join(lineage(args.artifact)))
        return []
    notes = []
    problems = verify(args.artifact, deep=args.deep, notes=notes)
    for line in notes:
        print(f"NOTE {line}")
    for line in problems:
        print(f"MISMATCH {line}")
    if problems:
        raise FuncspecError(f"{len(problems)} mismatch(es) in the lineage of {args.artifact}")
    print(f"{args.artifact}: every file in its lineage has its recorded hash")
    return []
