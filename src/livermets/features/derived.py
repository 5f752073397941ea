"""Derived features: case-level facts computed from the base features, declared once.

Each is a named :class:`Expr`, evaluated for one case or a cohort by the same backends as the
scores and criteria. ``DERIVED_BEFORE_SCORES`` feed the scores; ``DERIVED_AFTER_SCORES`` may
read score columns. Definitions that vary between sources are documented where chosen.
"""

from __future__ import annotations

from livermets.engine.expr import ChildTable, Expr, any_of, coalesce, col, lit, when

lesions = ChildTable("lesions")
markers = ChildTable("markers")
extrahepatic = ChildTable("extrahepatic")

DAYS_PER_MONTH = 30.4375
# Synchronous = liver metastases found within 3 months of the primary diagnosis. There is no
# agreed definition (3 to 12 months are used; clinical_logic.md A.3), so the reported label wins
# and this cut-off is used only when the dates alone are known.
SYNCHRONOUS_WITHIN_DAYS = 91

_itemised = lesions.count()
_itemised_or_unknown = when(_itemised > 0).then(_itemised).otherwise(lit(None))


def _segments_involved() -> Expr:
    total: Expr = lit(0)
    for n in range(1, 9):
        total = total + when(lesions.any(col(f"segment_{n}"))).then(1).otherwise(0)
    return when(_itemised > 0).then(total).otherwise(lit(None))


def _bilobar_from_lesions() -> Expr:
    both = lesions.any(col("right_liver")) & lesions.any(col("left_liver"))
    return when(_itemised > 0).then(both).otherwise(lit(None))


_interval_days = col("liver_detection_day") - col("primary_diagnosis_day")
_synchronous = coalesce(
    col("timing_reported").eq("synchronous"),
    _interval_days <= SYNCHRONOUS_WITHIN_DAYS,
)

DERIVED_BEFORE_SCORES: dict[str, Expr] = {
    # Number of liver lesions: the reported count (it may exceed those itemised), else the
    # number itemised.
    "lesion_count": coalesce(col("lesion_count_reported"), _itemised_or_unknown),
    "lesions_itemised": _itemised,
    "largest_lesion_cm": lesions.max(col("diameter_cm")),
    "smallest_lesion_cm": lesions.min(col("diameter_cm")),
    "lesions_over_3cm": lesions.count(where=col("diameter_cm") > 3),
    "lesions_over_5cm": lesions.count(where=col("diameter_cm") > 5),
    "bilobar": coalesce(col("distribution_reported").eq("bilobar"), _bilobar_from_lesions()),
    "segments_involved": _segments_involved(),
    "any_vessel_involved": lesions.any(col("vessel_relation").eq("involving")),
    "any_vessel_abutting": lesions.any(col("vessel_relation").is_in(["abutting", "involving"])),
    "any_near_large_vessel": lesions.any(col("near_large_vessel")),
    "any_bile_duct_involved": lesions.any(col("bile_duct_relation").eq("involving")),
    "any_near_bile_duct": lesions.any(col("bile_duct_relation").is_in(["near", "involving"])),
    "any_near_diaphragm": lesions.any(col("near_diaphragm")),
    "any_near_bowel_or_gallbladder": lesions.any(col("near_bowel_or_gallbladder")),
    "all_ablation_margins_achievable": when(_itemised > 0)
    .then(lesions.all(col("ablation_margin_achievable")))
    .otherwise(lit(None)),
    "synchronous": _synchronous,
    # Disease-free interval (Fong 1999): from resection (else diagnosis) of the primary to
    # detection of liver metastases; synchronous disease counts as 0.
    "dfi_months": when(_synchronous)
    .then(0.0)
    .otherwise(
        (
            col("liver_detection_day")
            - coalesce(col("primary_treatment_day"), col("primary_diagnosis_day"))
        )
        / DAYS_PER_MONTH
    ),
    "ras": when(any_of(col("kras").eq("mutant"), col("nras").eq("mutant")))
    .then("mutant")
    .when(col("kras").eq("wild_type") & col("nras").eq("wild_type"))
    .then("wild_type")
    .otherwise(lit(None)),
    "extrahepatic_sites": extrahepatic.count(),
    "liver_only": ~col("extrahepatic_disease"),
    "colorectal": col("primary_site").eq("colorectal"),
    "neuroendocrine": col("primary_site").eq("neuroendocrine"),
    "cea_points": markers.count(where=col("marker").eq("cea")),
}

DERIVED_AFTER_SCORES: dict[str, Expr] = {
    # ECOG as recorded, else the approximate ECOG converted from Karnofsky (calculators.md §9:
    # no official mapping exists; eligibility rules are written against ECOG).
    "ecog_effective": coalesce(col("ecog"), col("ecog_from_karnofsky")),
    "ecog_is_converted": col("ecog").is_null() & col("ecog_from_karnofsky").is_not_null(),
}
