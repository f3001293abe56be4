"""Turn an LLM's generated texts (from `llm.generate`) into Answers: strip the citation markers ([1], [2]...)
from the answer and map them to the cited chunks of the question's retrieval."""

from __future__ import annotations

import re

from pipec.compiler.op import In, Op, OpParams, Out
from pipec.ops.data import Answer
from pydantic import Field

CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
ANSWER_PREFIX = re.compile(r"^\s*(?:final\s+)?answer\s*:\s*", re.IGNORECASE)


def parse_generated(text: str) -> tuple[str, list[int]]:
    """(answer without citations, cited passage numbers, 1-based, in order of first citation)."""
    cited: list[int] = []
    for m in CITATION.finditer(text):
        for n in m.group(1).split(","):
            if int(n) not in cited:
                cited.append(int(n))
    first_line = next((line for line in text.strip().splitlines() if line.strip()), "")
    answer = CITATION.sub("", ANSWER_PREFIX.sub("", first_line))
    return " ".join(answer.split()).strip(" ."), cited


class AnswersFromTexts(Op):
    """Answers from generated texts: the first line without an 'Answer:' prefix and without citation markers;
    the markers [n] become evidence (the chunk ids of the n-th retrieved passages)."""

    name = "rag.answers"
    inline = True

    class Params(OpParams):
        keep_citations: bool = Field(False, description="keep the [n] markers in the answer text")

    inputs = {"texts": In("Records", "llm.generate texts: {id, text, error} per question"),
              "retrievals": In("Retrievals", "the passages the prompt showed, numbered from 1", required=False)}
    outputs = {"answers": Out("Answers")}

    def run(self, ctx, texts, retrievals=None):
        hits = {r.qid: r.hits for r in retrievals or []}
        answers = []
        for record in texts:
            qid, text, error = str(record.get("id")), record.get("text") or "", record.get("error")
            answer, cited = parse_generated(text)
            passages = hits.get(qid, [])
            evidence = [passages[n - 1].chunk_id for n in cited if 1 <= n <= len(passages)]
            answers.append(Answer(qid, text.strip() if self.params.keep_citations else answer, evidence=evidence,
                                  error=error, meta={"generated": text}))
        return {"answers": answers}
