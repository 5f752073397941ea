"""What a score is: a declared expression over features, with its categories and sources.

A :class:`ScoreSpec` binds a score function (written over :class:`~livermets.engine.expr.Expr`
inputs whose parameter names carry their units) to the feature columns of a case. The same
spec is evaluated on one case by the scalar backend and on a cohort by the columnar backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from livermets.engine.expr import Expr


@dataclass(frozen=True)
class ScoreSpec:
    """One clinical score.

    * ``id``: stable machine name, also the column name of the value (e.g. ``"meld_na"``).
    * ``name``/``version``: what the output shows, e.g. ``"MELD-Na"``, ``"OPTN 2016"``.
    * ``value``: the score's headline value (points, score or measure).
    * ``category``: the category/class/grade label, or ``None`` for scores without one.
    * ``details``: further named outputs (raw unrounded value, capped value, threshold used...);
      each becomes the column ``f"{id}__{name}"``.
    * ``inputs``: feature columns the score reads, in the order shown to a clinician.
    * ``unit``: unit of ``value`` (``"points"``, ``"%"``, ``"m²"``, ``"days"``...).
    * ``sources``: source ids from ``knowledge/sources/*.yaml``.
    * ``notes``: caveats a clinician must see (validation population, ambiguous source...).
    * ``unverified``: thresholds or coefficients the reference marks unverified ([?]/[U]).
    * ``applies_to``: primary sites the score is meant for (empty = any), e.g. colorectal only.
    * ``relevant``: when it is false the score is not shown and asks for no data (e.g. the
      PVE growth rate before any PVE, Karnofsky conversion when ECOG was recorded); ``None``
      means always relevant. Unknown counts as relevant.
    * ``decimals``: the precision the value is shown at (every face formats it through
      ``livermets.faces.words``; the JSON keeps the raw value). ``None``: shown as it is.
    """

    id: str
    name: str
    version: str
    value: Expr
    category: Expr | None
    inputs: tuple[str, ...]
    unit: str
    sources: tuple[str, ...]
    details: dict[str, Expr] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()
    applies_to: tuple[str, ...] = ()
    relevant: Expr | None = None
    decimals: int | None = None

    def columns(self) -> dict[str, Expr]:
        """Every output column of this score, name to expression."""
        out: dict[str, Expr] = {self.id: self.value}
        if self.category is not None:
            out[f"{self.id}__category"] = self.category
        for name, expr in self.details.items():
            out[f"{self.id}__{name}"] = expr
        if self.relevant is not None:
            out[f"{self.id}__relevant"] = self.relevant
        return out
