"""Write the classroom dashboards (one small notebook per explorer) from the cells below.

Usage: ``python classroom/make_dashboards.py`` (rewrites ``classroom/*.ipynb``; the notebooks are
stored without outputs: Voilà runs them when a dashboard is opened). To add a dashboard, add an
entry to ``DASHBOARDS``: a build cell that ends by binding ``explorer``, a title, an intro line and
one prompt per control of the explorer.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

SETUP = """\
from spanbert_lab.runtime import setup_notebook

rt = setup_notebook()
"""

DASHBOARDS: dict[str, dict[str, object]] = {
    "attention": {
        "build": """\
from spanbert_lab.data import load_corpus
from spanbert_lab.runtime import data_dir, quiet_transformers
from spanbert_lab.widgets.attention import AttentionExplorer

sentences = [s for doc in load_corpus("dev").select(range(4)) for s in doc["sentences"][:2]]
with quiet_transformers():
    explorer = AttentionExplorer.from_pretrained(
        data_dir() / "checkpoints" / "spanbert-tiny", sentences
    )
""",
        "title": "Where does each token look?",
        "intro": "Attention weights of the course's tiny pretrained SpanBERT, one head at a time.",
        "prompts": {
            "sentence": "Pick a sentence: which tokens collect attention in every sentence?",
            "layer": "Move the layer slider: do later layers look further away?",
            "head": "Move the head slider: can you find a head that looks at the next token?",
            "query": "Pick a query token: does a name attend to the rest of the name?",
        },
    },
    "masks": {
        "build": """\
from spanbert_lab.blocks import build_blocks
from spanbert_lab.data import load_corpus, load_tokenizer
from spanbert_lab.masking import unigram_counts
from spanbert_lab.widgets.masking import MaskExplorer

tokenizer = load_tokenizer()
train_blocks = build_blocks(load_corpus("train").select(range(100)), tokenizer, max_length=128)
passage = build_blocks(load_corpus("dev").select(range(20)), tokenizer, max_length=128).blocks[0]
counts = unigram_counts(
    (b.input_ids for b in train_blocks.blocks), len(tokenizer), ignore_ids=tokenizer.all_special_ids
)
explorer = MaskExplorer(
    tokenizer, passage.input_ids, annotations=passage.annotations, unigram_counts=counts
)
""",
        "title": "BERT's tokens or SpanBERT's spans?",
        "intro": "The same passage masked by each scheme; statistics over 64 masks.",
        "prompts": {
            "scheme": "Switch from subword to span: what happens to whole words and names?",
            "p": "Move the geometric p slider: do the spans get shorter or longer?",
            "max_span": "Move the span-length cap: what share of masked tokens now sit inside spans?",
            "ratio": "Change the mask ratio: does the span length change, or only the span count?",
            "replacement": "Switch the replacement unit: when is a whole span left unchanged?",
            "seed": "Draw another mask with a new seed: which statistics stay the same?",
        },
    },
    "sbo": {
        "build": """\
from spanbert_lab.data import load_corpus
from spanbert_lab.runtime import data_dir, quiet_transformers
from spanbert_lab.widgets.sbo import SboExplorer

sentences = [s for doc in load_corpus("dev").select(range(4)) for s in doc["sentences"][:2]]
with quiet_transformers():
    explorer = SboExplorer.from_pretrained(data_dir() / "checkpoints" / "spanbert-tiny", sentences)
""",
        "title": "Guess the span from its two boundaries",
        "intro": "Blue: the two boundary tokens. Red: the span that SBO guesses from them.",
        "prompts": {
            "sentence": "Pick a sentence: where are spans easy to guess?",
            "start": "Move the span start: is a span inside a name easier than one across words?",
            "length": "Make the span longer: which positions does SBO get wrong first?",
        },
    },
    "qa": {
        "build": """\
from transformers import BertForQuestionAnswering

from spanbert_lab.data import load_qa, load_tokenizer
from spanbert_lab.runtime import data_dir, quiet_transformers
from spanbert_lab.widgets.qa import QAExplorer

folders = {"SpanBERT": "qa-v1.1-spanbert-tiny-seed0", "BERT": "qa-v1.1-bert-tiny-seed0"}
missing = [f for f in folders.values() if not (data_dir() / "checkpoints" / f).is_dir()]
if missing:  # the dashboard then says what to run instead of failing
    explorer = f"Fine-tuned QA models {missing} are missing: run scripts/ship_qa_models.py"
else:
    with quiet_transformers():
        models = {
            name: BertForQuestionAnswering.from_pretrained(data_dir() / "checkpoints" / f).eval()
            for name, f in folders.items()
        }
    qa_dev = load_qa("dev")
    explorer = QAExplorer(models, load_tokenizer(), [qa_dev[i] for i in range(20)], max_length=192)
""",
        "title": "Ask the model",
        "intro": "Extractive question answering by the course's fine-tuned tiny BERT and SpanBERT.",
        "prompts": {
            "example": "Pick a question: does the model point at the right span of the passage?",
            "model": "Switch BERT ↔ SpanBERT: which one gets the span boundaries right?",
            "n_best": "Show more candidates: how far behind is the second-best answer?",
            "question": "Type your own question about the passage (press Enter).",
            "passage": "Or paste your own passage (choose ✎ typed in the first menu).",
        },
    },
}


def dashboard_notebook(spec: dict[str, object]) -> nbformat.NotebookNode:
    """A three-cell notebook: setup, build the explorer, show the dashboard (the only output)."""
    show = (
        "from dashboard import dashboard\n\n"
        f"dashboard(\n    explorer,\n    {json.dumps(spec['title'], ensure_ascii=False)},\n"
        f"    {{\n"
        + "".join(
            f"        {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},\n"
            for k, v in dict(spec["prompts"]).items()  # type: ignore[call-overload]
        )
        + f"    }},\n    intro={json.dumps(spec['intro'], ensure_ascii=False)},\n)\n"
    )
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["spanbert_lab"] = {"dashboard": True}
    nb.cells = [
        nbformat.v4.new_code_cell(SETUP.rstrip()),
        nbformat.v4.new_code_cell(textwrap.dedent(str(spec["build"])).rstrip()),
        nbformat.v4.new_code_cell(show.rstrip()),
    ]
    return nb


def main() -> int:
    for name, spec in DASHBOARDS.items():
        nbformat.write(dashboard_notebook(spec), HERE / f"{name}.ipynb")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
