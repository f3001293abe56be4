"""Write the toy movie KG and MetaQA-style questions of examples/metaqa/data (seeded, deterministic).

    python examples/metaqa/make_toy_data.py

kb.txt: `movie|relation|value` triples (MetaQA's relations); qa_toy_<N>hop.txt: `question with [topic]<TAB>a|b`.
Answers are computed by following the template's relation path from the topic entity, never returning it.
"""

from __future__ import annotations

import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data"
FIRST = ["Ada", "Bruno", "Chen", "Dara", "Emil", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kira", "Luis", "Mira",
         "Nils", "Omar", "Pia", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wim", "Xena", "Yuri", "Zoe"]
LAST = ["Abbott", "Berg", "Castro", "Dahl", "Evans", "Frost", "Gill", "Holm", "Ito", "Jansen", "Kahn", "Lund"]
WORDS = ["Silent", "Crimson", "River", "Glass", "Night", "Paper", "Iron", "Golden", "Winter", "Harbor", "Echo",
         "Lantern", "Orchid", "Falcon", "Shadow", "Meadow", "Comet", "Velvet", "Stone", "Mirror"]
GENRES = ["Drama", "Comedy", "Thriller", "Horror", "Documentary", "Animation", "Romance", "Western"]
LANGUAGES = ["English", "French", "German", "Japanese", "Spanish", "Korean"]

# (relation path, question templates); `^-1` walks a relation backwards. {e} is the bracketed topic entity.
TEMPLATES = {
    1: [(("directed_by",), ["who directed {e}", "who is the director of {e}", "{e} was directed by who"]),
        (("written_by",), ["who wrote {e}", "who is the writer of {e}", "{e} was written by which person"]),
        (("starred_actors",), ["who acted in {e}", "which actors starred in {e}", "who appeared in {e}"]),
        (("release_year",), ["when was {e} released", "what year did {e} come out", "{e} was released when"]),
        (("has_genre",), ["what genre is {e}", "what kind of film is {e}", "{e} belongs to which genre"]),
        (("in_language",), ["what language is {e} in", "which language is spoken in {e}"]),
        (("directed_by^-1",), ["what movies did {e} direct", "which films were directed by {e}"]),
        (("starred_actors^-1",), ["what movies did {e} act in", "which films star {e}", "{e} appeared in which movies"]),
        (("written_by^-1",), ["what films did {e} write", "which movies were written by {e}"])],
    2: [(("directed_by", "directed_by^-1"), ["which movies share the director of {e}",
                                             "what other films did the director of {e} make"]),
        (("starred_actors", "starred_actors^-1"), ["which movies share actors with {e}",
                                                   "what films have the same actors as {e}"]),
        (("starred_actors^-1", "directed_by"), ["who directed the movies {e} acted in",
                                                "the films starring {e} were directed by who"]),
        (("directed_by^-1", "release_year"), ["when were the movies directed by {e} released",
                                              "what years were the films of director {e} released"]),
        (("written_by^-1", "has_genre"), ["what genres are the films written by {e}",
                                          "which genres do the movies written by {e} belong to"]),
        (("directed_by^-1", "starred_actors"), ["who acted in the movies directed by {e}",
                                                "which actors starred in films directed by {e}"])],
    3: [(("directed_by", "directed_by^-1", "has_genre"), ["what genres are the films that share directors with {e}",
                                                          "the movies sharing a director with {e} are which genres"]),
        (("starred_actors", "starred_actors^-1", "directed_by"), [
            "who directed the movies that share actors with {e}",
            "the films with the same actors as {e} were directed by who"]),
        (("directed_by", "directed_by^-1", "in_language"), [
            "what languages are the films whose directors also directed {e} in",
            "which languages are spoken in movies sharing the director of {e}"]),
        (("starred_actors^-1", "directed_by", "directed_by^-1"), [
            "what movies were directed by the directors of films starring {e}",
            "which films share directors with the movies {e} acted in"]),
        (("written_by", "written_by^-1", "release_year"), [
            "when were the movies written by the writer of {e} released",
            "what years were the films by the screenwriter of {e} released"])],
}


def people(rng: random.Random, n: int) -> list[str]:
    names = sorted({f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(n * 3)})
    return rng.sample(names, n)


def make_kb(rng: random.Random) -> list[tuple[str, str, str]]:
    titles = sorted({f"The {a} {b}" if rng.random() < 0.5 else f"{a} {b}"
                     for a in WORDS for b in WORDS if a != b})
    movies = rng.sample(titles, 70)
    cast = people(rng, 60)
    directors, writers, actors = cast[:14], cast[10:26], cast[22:]
    triples = []
    for m in movies:
        triples.append((m, "directed_by", rng.choice(directors)))
        triples.extend((m, "written_by", w) for w in rng.sample(writers, rng.choice([1, 1, 2])))
        triples.extend((m, "starred_actors", a) for a in rng.sample(actors, 3))
        triples.append((m, "release_year", str(rng.randint(1985, 2020))))
        triples.extend((m, "has_genre", g) for g in rng.sample(GENRES, rng.choice([1, 1, 2])))
        triples.append((m, "in_language", rng.choice(LANGUAGES)))
    return triples


def walk(adj: dict, start: str, path: tuple[str, ...]) -> set[str]:
    frontier = {start}
    for rel in path:
        frontier = {n for e in frontier for n in adj.get((e, rel), ())} - {start}
    return frontier


def adjacency(triples) -> dict:
    adj: dict = {}
    for h, r, t in triples:
        adj.setdefault((h, r), set()).add(t)
        adj.setdefault((t, r + "^-1"), set()).add(h)
    return adj


def make_questions(rng: random.Random, triples, hops: int, per_template: int) -> list[str]:
    adj = adjacency(triples)
    lines = []
    for path, phrasings in TEMPLATES[hops]:
        first = path[0]
        starts = sorted({h for (h, r) in adj if r == first})
        for start in rng.sample(starts, min(per_template, len(starts))):
            answers = walk(adj, start, path)
            if answers and len(answers) <= 30:
                text = rng.choice(phrasings).format(e=f"[{start}]")
                lines.append(f"{text}\t{'|'.join(sorted(answers))}")
    rng.shuffle(lines)
    return lines


def plan_keys() -> list[tuple[str, tuple[str, ...]]]:
    """(substring of the planner prompt, plan) per template, in the order the fake provider tries them: the
    text after the entity (or before it), the prefix form where the suffix is shared; checked unambiguous."""
    templates = [(t, path) for hops in (3, 2, 1) for path, phrasings in TEMPLATES[hops] for t in phrasings]
    suffixes = [t.split("{e}")[1] for t, _ in templates]
    keys = []
    for t, path in templates:
        before, after = t.split("{e}")
        keys.append((f"]{after}" if after and suffixes.count(after) == 1 else f"Question: {before}[", path))
    keys.sort(key=lambda k: -len(k[0]))
    for t, path in templates:
        prompt = "Question: " + t.format(e="[X]")
        first = next(p for k, p in keys if k in prompt)
        assert first == path, f"fake planner key for {t!r} is ambiguous"
    return keys


def write_fake_planner(path: Path) -> None:
    """The scripted fake provider for llm_planner.yaml: each template's correct plan (replays gold plans)."""
    lines = ["# Scripted fake planner for examples/metaqa/llm_planner.yaml, written by make_toy_data.py: it replays",
             "# the correct relation plan of each question template (plumbing, not a model's accuracy).",
             "responses:"]
    for key, relations in plan_keys():
        rels = ", ".join(f'"{r}"' for r in relations)
        lines.append(f'  "{key}": {{relations: [{rels}]}}')
    lines.append("default: {relations: []}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    rng = random.Random(5)
    triples = make_kb(rng)
    OUT.mkdir(exist_ok=True)
    (OUT / "kb.txt").write_text("".join(f"{h}|{r}|{t}\n" for h, r, t in triples), encoding="utf-8")
    for hops, per_template in ((1, 14), (2, 20), (3, 24)):
        lines = make_questions(rng, triples, hops, per_template)
        (OUT / f"qa_toy_{hops}hop.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_fake_planner(OUT.parent / "fake_planner.yaml")
    print(f"{len(triples)} triples in {OUT}")


if __name__ == "__main__":
    main()
