"""Tumour scores for colorectal liver metastases: Fong CRS, Tumour Burden Score, GAME.

calculators.md §4–§6. Inputs are pre-operative (or post-chemotherapy) imaging and labs; which
time point was used is recorded with the case, not here.
"""

from __future__ import annotations

from livermets.engine.expr import Expr, when
from livermets.scores.common import UNKNOWN, ScoreParts, known_only, points_if

# --------------------------------------------------------------------------------------------
# Fong Clinical Risk Score
# --------------------------------------------------------------------------------------------

FONG_DFI_MONTHS = 12
FONG_LESION_COUNT = 1
FONG_SIZE_CM = 5
FONG_CEA_NG_ML = 200
# Risk groups: 0-2 low, 3-5 high (the usual dichotomy; calculators.md §4). Rules read the
# category (fong_crs__category == 'low risk'), never these numbers.
FONG_LOW_RISK_MAX = 2


def fong_crs(
    node_positive_primary: Expr,
    dfi_months: Expr,
    lesion_count: Expr,
    largest_lesion_cm: Expr,
    cea_ng_ml: Expr,
) -> ScoreParts:
    """Fong Clinical Risk Score (0–5): one point each for a node-positive primary, disease-free
    interval < 12 months (synchronous = 0), more than one liver tumour, largest > 5 cm and
    CEA > 200 ng/mL; 0–2 low risk, 3–5 high risk.

    Fong Y et al., Ann Surg 1999;230(3):309–318, doi:10.1097/00000658-199909000-00004.
    calculators.md §4 (wording from the abstract, [P]). All five inequalities are strict
    (12 months, 5.0 cm and CEA 200 score 0). Margin and extrahepatic disease are prognostic in
    the paper but not part of the score. Not validated after neoadjuvant chemotherapy (Ayez
    2011). The 0–2/3–5 split is the usual dichotomy, not the paper's own grouping.
    """
    nodes = points_if(node_positive_primary)
    dfi = points_if(dfi_months < FONG_DFI_MONTHS)
    number = points_if(lesion_count > FONG_LESION_COUNT)
    size = points_if(largest_lesion_cm > FONG_SIZE_CM)
    cea = points_if(cea_ng_ml > FONG_CEA_NG_ML)
    points = nodes + dfi + number + size + cea
    return ScoreParts(
        value=points,
        category=when(points <= FONG_LOW_RISK_MAX).then("low risk").otherwise("high risk"),
        details={
            "node_positive_points": nodes,
            "dfi_points": dfi,
            "lesion_count_points": number,
            "size_points": size,
            "cea_points": cea,
        },
    )


# --------------------------------------------------------------------------------------------
# Tumour Burden Score
# --------------------------------------------------------------------------------------------

TBS_ZONE_2_FROM = 3.0
TBS_ZONE_3_FROM = 9.0


def tumour_burden_score(largest_lesion_cm: Expr, lesion_count: Expr) -> Expr:
    """TBS = √(largest diameter cm² + number of liver lesions²); unknown without a lesion."""
    value = (largest_lesion_cm * largest_lesion_cm + lesion_count * lesion_count).sqrt()
    return known_only((lesion_count >= 1) & (largest_lesion_cm >= 0), value)


# Zones (Sasaki 2018, calculators.md §5); rules read tumour_burden_score__category.
def tbs_zone(tbs: Expr) -> Expr:
    """CRLM zones: zone 1 < 3, zone 2 3 to < 9, zone 3 ≥ 9 (not the HCC cut-offs)."""
    return (
        when(tbs < TBS_ZONE_2_FROM)
        .then("zone 1")
        .when(tbs < TBS_ZONE_3_FROM)
        .then("zone 2")
        .otherwise("zone 3")
    )


def tbs(largest_lesion_cm: Expr, lesion_count: Expr) -> ScoreParts:
    """Tumour Burden Score with its CRLM zone.

    Sasaki K et al., Ann Surg 2018;267(1):132–141, doi:10.1097/SLA.0000000000002064.
    calculators.md §5. Diameter in cm (not mm). A single 2.9 cm lesion is already zone 2
    (TBS 3.07): the count contributes.
    """
    value = tumour_burden_score(largest_lesion_cm, lesion_count)
    return ScoreParts(value=value, category=tbs_zone(value))


# --------------------------------------------------------------------------------------------
# GAME score
# --------------------------------------------------------------------------------------------

GAME_CEA_NG_ML = 20  # inclusive (>= 20), unlike Fong
# Risk groups (Margonis 2018, calculators.md §6): 0-1 low, 2-3 medium, 4 or more high. Rules
# read game_score__category, never these numbers.
GAME_LOW_RISK_MAX = 1
GAME_MEDIUM_RISK_MAX = 3


def kras_mutated(kras: Expr) -> Expr:
    """True for "mutant", false for "wild_type", unknown for anything else (not tested...)."""
    return (
        when(kras.eq("mutant")).then(True).when(kras.eq("wild_type")).then(False).otherwise(UNKNOWN)
    )


def game_score(
    kras: Expr,
    cea_ng_ml: Expr,
    node_positive_primary: Expr,
    tumour_burden_score: Expr,
    extrahepatic_disease: Expr,
) -> ScoreParts:
    """GAME score (0–7): KRAS mutated 1, CEA ≥ 20 ng/mL 1, node-positive primary 1, TBS 3 to < 9
    1 / TBS ≥ 9 2, extrahepatic disease 2; 0–1 low, 2–3 medium, ≥ 4 high risk.

    Margonis GA et al., Br J Surg 2018;105(9):1210–1220, doi:10.1002/bjs.10838 (BJS, not JAMA
    Surgery). calculators.md §6. Ambiguity: the abstract gives "TBS 3–8" and "≥ 9", leaving
    8–9 open; we use 3 ≤ TBS < 9 → 1 (the TBS zones). CEA is inclusive (≥ 20), unlike Fong.
    KRAS means the KRAS gene only (not RAS).
    """
    kras_pts = points_if(kras_mutated(kras))
    cea = points_if(cea_ng_ml >= GAME_CEA_NG_ML)
    nodes = points_if(node_positive_primary)
    burden = (
        when(tumour_burden_score < TBS_ZONE_2_FROM)
        .then(0)
        .when(tumour_burden_score < TBS_ZONE_3_FROM)
        .then(1)
        .otherwise(2)
    )
    ehd = points_if(extrahepatic_disease, 2)
    points = kras_pts + cea + nodes + burden + ehd
    category = (
        when(points <= GAME_LOW_RISK_MAX)
        .then("low risk")
        .when(points <= GAME_MEDIUM_RISK_MAX)
        .then("medium risk")
        .otherwise("high risk")
    )
    return ScoreParts(
        value=points,
        category=category,
        details={
            "kras_points": kras_pts,
            "cea_points": cea,
            "node_positive_points": nodes,
            "tbs_points": burden,
            "extrahepatic_points": ehd,
            "tumour_burden_score": tumour_burden_score,
        },
    )
