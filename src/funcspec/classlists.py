"""The ImageNet class lists of config/paper.yaml, derived from WordNet 3.0 by stated rules.

The study's 423 inanimate ILSVRC-2012 categories and its objects-without-food set (~393) are not
published. These lists are derived from the WordNet 3.0 noun hierarchy (Debian's `wordnet-base`
package: plain data.noun and index.noun files) over the 1,000 ILSVRC-2012 synsets listed in
config/categories/ilsvrc2012.txt (an ImageNet id is "n" + the synset's 8-digit offset):

- imagenet_inanimate.txt: every synset not under living_thing.n.01 (no animals, people, plants or
  fungi): the rule's count, not the paper's.
- imagenet_food.txt: every synset under food.n.01 or food.n.02 (food as nutrient, as solid food).
- imagenet_inanimate_423.txt and imagenet_nofood_393.txt, the paper's counts: a seeded draw of 393
  non-food inanimate synsets (the no-food list) and of 30 food synsets, which together make the 423
  (the paper's no-food set is ~30 classes smaller than its inanimate set, so that one held food).

Every list is in ILSVRC class-index order, one id per line with its first lemma as a comment.

    python -m funcspec.classlists [--wordnet /usr/share/wordnet] [--out config/categories]

rewrites the lists; tests/test_classlists.py checks that it reproduces the committed ones byte
for byte.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import streams
from .errors import FuncspecError

WORDNET = Path("/usr/share/wordnet")
CATEGORIES = Path(__file__).resolve().parents[2] / "config" / "categories"
SEED = 0  # of the two draws with the paper's counts
PAPER_INANIMATE, PAPER_NOFOOD = 423, 393
HYPERNYMS = ("@", "@i")  # hypernym and instance-hypernym pointers


def read_ids(path) -> list[str]:
    """ImageNet ids of a class list, in order (comments after # ignored)."""
    return [
        line.split("#", 1)[0].strip()
        for line in Path(path).read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]


def read_nouns(wordnet: Path) -> tuple[dict, dict, dict]:
    """({offset: hypernym offsets}, {offset: first lemma}, {lemma: offsets in sense order})."""
    data, index = Path(wordnet) / "data.noun", Path(wordnet) / "index.noun"
    if not data.is_file() or not index.is_file():
        raise FuncspecError(
            f"no WordNet 3.0 noun files (data.noun, index.noun) in {wordnet}: install Debian's "
            "wordnet-base or give --wordnet"
        )
    parents, lemma, senses = {}, {}, {}
    for line in data.read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):  # the licence header
            continue
        fields = line.split(" | ", 1)[0].split()
        offset, n_words = fields[0], int(fields[3], 16)
        lemma[offset] = fields[4]
        at = 4 + 2 * n_words
        n_pointers = int(fields[at])
        pointers = fields[at + 1 : at + 1 + 4 * n_pointers]
        parents[offset] = [
            pointers[i + 1]
            for i in range(0, len(pointers), 4)
            if pointers[i] in HYPERNYMS and pointers[i + 2] == "n"
        ]
    for line in index.read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue
        fields = line.split()
        n_senses = int(fields[2])
        senses[fields[0]] = fields[-n_senses:]
    return parents, lemma, senses


def synset(senses: dict, name: str) -> str:
    """The offset of "lemma.n.NN"."""
    word, _, number = name.split(".")
    return senses[word][int(number) - 1]


def ancestors(parents: dict, offset: str) -> set[str]:
    seen, todo = set(), [offset]
    while todo:
        for parent in parents[todo.pop()]:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def derive(ilsvrc: list[str], wordnet: Path) -> dict[str, list[str]]:
    """{file name: ImageNet ids} of every list."""
    parents, _, senses = read_nouns(wordnet)
    missing = [i for i in ilsvrc if i[1:] not in parents]
    if missing:
        raise FuncspecError(f"ILSVRC ids not in WordNet 3.0: {', '.join(missing[:5])}")
    above = {i: ancestors(parents, i[1:]) for i in ilsvrc}
    living = synset(senses, "living_thing.n.01")
    foods = {synset(senses, "food.n.01"), synset(senses, "food.n.02")}
    inanimate = [i for i in ilsvrc if living not in above[i]]
    food = [i for i in ilsvrc if foods & above[i]]
    others = [i for i in inanimate if i not in food]
    rng = streams.rng("class_list_draw", SEED)
    nofood = set(rng.choice(others, PAPER_NOFOOD, replace=False))
    drawn = nofood | set(rng.choice(food, PAPER_INANIMATE - PAPER_NOFOOD, replace=False))
    return {
        "imagenet_inanimate.txt": inanimate,
        "imagenet_food.txt": food,
        "imagenet_inanimate_423.txt": [i for i in inanimate if i in drawn],
        "imagenet_nofood_393.txt": [i for i in inanimate if i in nofood],
    }


HEADERS = {
    "imagenet_inanimate.txt": "ILSVRC-2012 synsets not under living_thing.n.01 in WordNet 3.0",
    "imagenet_food.txt": "ILSVRC-2012 synsets under food.n.01 or food.n.02 in WordNet 3.0",
    "imagenet_inanimate_423.txt": (
        "the paper's count: imagenet_nofood_393.txt and a seeded draw of 30 food synsets"
    ),
    "imagenet_nofood_393.txt": (
        "the paper's ~393: a seeded draw of the non-food synsets of imagenet_inanimate.txt"
    ),
}


def write(lists: dict, lemma: dict, out: Path) -> None:
    for name, ids in lists.items():
        lines = [
            f"# {HEADERS[name]}: {len(ids)} classes.",
            "# Written by `python -m funcspec.classlists` (rules: its docstring), not by hand.",
            *(f"{i}  # {lemma[i[1:]]}" for i in ids),
        ]
        (out / name).write_text("\n".join(lines) + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=WORDNET, help="WordNet 3.0 dict folder")
    parser.add_argument("--out", type=Path, default=CATEGORIES, help="where the lists go")
    args = parser.parse_args(argv)
    ilsvrc = read_ids(CATEGORIES / "ilsvrc2012.txt")
    lists = derive(ilsvrc, args.wordnet)
    write(lists, read_nouns(args.wordnet)[1], args.out)
    for name, ids in lists.items():
        print(f"{args.out / name}: {len(ids)}")


if __name__ == "__main__":
    main()
