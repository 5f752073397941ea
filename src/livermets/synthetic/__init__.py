"""Synthetic liver-metastasis referrals for demonstrations, benchmarks and tests.

Not part of the assessment flow: nothing in ``case``, ``features``, ``assessment`` or
``cohort`` imports it. Its single output shape is the case document (``documents``); a cohort
of columns is made from the documents by the one case-to-columns mapping
(``features.flatten``, ``cohort.engine.rows_to_frames``) in ``cohort``.
"""

from livermets.synthetic.cohort import POOL_SIZE, flatten_cases, generate_cohort
from livermets.synthetic.documents import PRIMARY_WEIGHTS, generate_cases, generate_documents

__all__ = [
    "POOL_SIZE",
    "PRIMARY_WEIGHTS",
    "flatten_cases",
    "generate_cases",
    "generate_cohort",
    "generate_documents",
]
