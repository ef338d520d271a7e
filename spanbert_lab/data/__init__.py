"""The course's own data: a fictional world, its corpus, tokenizer and span-task datasets.

Regenerate with ``make data``; load with the functions re-exported here.
"""

from spanbert_lab.data.tokenizer import load_tokenizer

__all__ = ["load_tokenizer"]
