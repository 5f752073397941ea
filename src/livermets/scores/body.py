"""Body size, liver volume and performance status: BSA, Vauthey TLV, standardised FLR and its
adequacy, hypertrophy after portal vein embolisation, ECOG ↔ Karnofsky.

calculators.md §7 and §9.
"""

from __future__ import annotations

import math

from livermets.engine.expr import Expr, coalesce, lit, when
from livermets.scores.common import UNKNOWN, ScoreParts, known_only

# --------------------------------------------------------------------------------------------
# Body surface area
# --------------------------------------------------------------------------------------------


def bsa_mosteller(height_cm: Expr, weight_kg: Expr) -> Expr:
    """Mosteller: BSA (m²) = √(height cm × weight kg / 3600). Mosteller RD, N Engl J Med
    1987;317:1098, doi:10.1056/NEJM198710223171717. calculators.md §7."""
    return known_only((height_cm > 0) & (weight_kg > 0), (height_cm * weight_kg / 3600).sqrt())


def bsa_dubois(height_cm: Expr, weight_kg: Expr) -> Expr:
    """DuBois: BSA (m²) = 0.007184 × W^0.425 × H^0.725. DuBois D, DuBois EF, Arch Intern Med
    1916;17:863. calculators.md §7 ([P]; no independent worked example)."""
    ln_bsa = math.log(0.007184) + 0.425 * weight_kg.ln() + 0.725 * height_cm.ln()
    return ln_bsa.exp()


def bsa(height_cm: Expr, weight_kg: Expr) -> ScoreParts:
    """Body surface area, Mosteller (headline) with DuBois as a detail."""
    return ScoreParts(
        value=bsa_mosteller(height_cm, weight_kg),
        details={"dubois_m2": bsa_dubois(height_cm, weight_kg), "method": lit("Mosteller")},
    )


# --------------------------------------------------------------------------------------------
# Liver volume
# --------------------------------------------------------------------------------------------


def tlv_vauthey(bsa_m2: Expr) -> Expr:
    """Vauthey: TLV (mL) = −794.41 + 1267.28 × BSA (m²); unknown if not positive.

    Vauthey JN et al., Liver Transpl 2002;8(3):233–240, doi:10.1053/jlts.2002.31654.
    calculators.md §7. Ambiguity: a 2019 review quotes the intercept as −794; we use −794.41.
    Which BSA formula the derivation used is unverified; we use Mosteller and record it.
    """
    tlv = -794.41 + 1267.28 * bsa_m2
    return known_only(tlv > 0, tlv)


def total_liver_volume(height_cm: Expr, weight_kg: Expr) -> ScoreParts:
    """Estimated total liver volume from Mosteller BSA."""
    body = bsa_mosteller(height_cm, weight_kg)
    return ScoreParts(
        value=tlv_vauthey(body),
        details={"bsa_m2": body, "bsa_method": lit("Mosteller")},
    )


SFLR_NORMAL_MIN = 20.0
SFLR_CHEMOTHERAPY_MIN = 30.0
SFLR_CIRRHOSIS_MIN = 40.0


def sflr_percent(flr_volume_ml: Expr, tlv_ml: Expr) -> Expr:
    """sFLR (%) = CT-measured FLR volume / formula TLV × 100 (not the measured liver volume)."""
    return known_only(flr_volume_ml >= 0, flr_volume_ml / tlv_ml * 100)


def sflr_threshold(cirrhosis: Expr, fibrosis: Expr, extensive_chemotherapy: Expr) -> Expr:
    """Minimum adequate sFLR: 40 % with cirrhosis or fibrosis/chronic hepatitis, else 30 % after
    extensive chemotherapy (> 12 weeks), else 20 %. Unknown when the liver category is unknown
    (e.g. fibrosis unknown, or no fibrosis but chemotherapy unknown)."""
    diseased = cirrhosis | fibrosis
    return (
        when(diseased)
        .then(SFLR_CIRRHOSIS_MIN)
        .when(extensive_chemotherapy)
        .then(SFLR_CHEMOTHERAPY_MIN)
        .otherwise(SFLR_NORMAL_MIN)
    )


def sflr_threshold_basis(cirrhosis: Expr, fibrosis: Expr, extensive_chemotherapy: Expr) -> Expr:
    diseased = cirrhosis | fibrosis
    return (
        when(diseased)
        .then("cirrhosis or fibrosis")
        .when(extensive_chemotherapy)
        .then("extensive chemotherapy")
        .otherwise("normal liver")
    )


def sflr_adequacy(sflr: Expr, threshold_percent: Expr) -> Expr:
    """ "adequate" if sFLR ≥ threshold, else "inadequate" — three-valued: an sFLR ≥ 40 % is
    adequate and one < 20 % inadequate whatever the threshold, so only sFLR 20 to < 40 % with an
    unknown threshold stays unknown."""
    return (
        when(sflr >= SFLR_CIRRHOSIS_MIN)
        .then("adequate")
        .when(sflr < SFLR_NORMAL_MIN)
        .then("inadequate")
        .when(sflr >= threshold_percent)
        .then("adequate")
        .otherwise("inadequate")
    )


def sflr(
    flr_volume_ml: Expr,
    height_cm: Expr,
    weight_kg: Expr,
    sflr_reported_percent: Expr,
    cirrhosis: Expr,
    fibrosis: Expr,
    extensive_chemotherapy: Expr,
) -> ScoreParts:
    """Standardised future liver remnant and its adequacy.

    Vauthey 2002 (TLV); thresholds: Kishi Y et al., Ann Surg 2009;250(4):540–548 (20 %),
    Shindoh J et al., Ann Surg Oncol 2013;20(8):2493–2500 (30 % after > 12 weeks of
    chemotherapy), Kubota K et al., Hepatology 1997;26:1176–1181 (40 % in cirrhosis/fibrosis,
    [P/?]). calculators.md §7. The computed sFLR (FLR volume / Vauthey TLV) is used when
    possible, else the radiologist's reported sFLR. Ambiguity: Kishi reports "sFLR ≤ 20 %" as
    the risk group while the threshold table says "≥ 20 %" is adequate; we follow the table
    (exactly at the threshold is adequate). Cirrhosis, fibrosis and chemotherapy status are
    inputs, never inferred.
    """
    body = bsa_mosteller(height_cm, weight_kg)
    tlv = tlv_vauthey(body)
    computed = sflr_percent(flr_volume_ml, tlv)
    value = coalesce(computed, sflr_reported_percent)
    threshold = sflr_threshold(cirrhosis, fibrosis, extensive_chemotherapy)
    source = (
        when(computed.is_not_null())
        .then("FLR volume / Vauthey TLV")
        .when(sflr_reported_percent.is_not_null())
        .then("reported")
        .otherwise(UNKNOWN)
    )
    return ScoreParts(
        value=value,
        category=sflr_adequacy(value, threshold),
        details={
            "threshold_percent": threshold,
            "threshold_basis": sflr_threshold_basis(cirrhosis, fibrosis, extensive_chemotherapy),
            "source": source,
            "computed_percent": computed,
            "tlv_ml": tlv,
            "bsa_m2": body,
        },
    )


# --------------------------------------------------------------------------------------------
# Portal vein embolisation
# --------------------------------------------------------------------------------------------

# Shindoh 2013 (calculators.md §7): 2 %/week or more is adequate growth. Rules read
# pve_hypertrophy__category ('adequate growth' / 'slow growth'), never this number.
KGR_MIN_PERCENT_PER_WEEK = 2.0
DH_MIN_PERCENT_POINTS = 5.0


def degree_of_hypertrophy(sflr_pre_pve_percent: Expr, sflr_post_pve_percent: Expr) -> Expr:
    """DH = sFLR after − sFLR before PVE, in percentage points (not relative change)."""
    return sflr_post_pve_percent - sflr_pre_pve_percent


def kinetic_growth_rate(dh_percent_points: Expr, pve_day: Expr, volumetry_day: Expr) -> Expr:
    """KGR (%/week) = DH / weeks from PVE to the first post-PVE volumetry (days / 7, unrounded);
    unknown if the scan is not after the PVE."""
    days = volumetry_day - pve_day
    return known_only(days > 0, dh_percent_points / (days / 7))


def pve_hypertrophy(
    sflr_pre_pve_percent: Expr,
    sflr_post_pve_percent: Expr,
    pve_day: Expr,
    post_pve_volumetry_day: Expr,
) -> ScoreParts:
    """Kinetic growth rate after portal vein embolisation: "adequate growth" at ≥ 2 %/week,
    "slow growth" below (hepatic insufficiency 21.6 % vs 0 %).

    Shindoh J et al., J Am Coll Surg 2013;216(2):201–209, doi:10.1016/j.jamcollsurg.2012.10.018;
    DH ≤ 5 points: Ribero D et al., Br J Surg 2007;94:1386–1394 ([?]). calculators.md §7.
    Use the first scan after PVE (growth slows later).
    """
    dh = degree_of_hypertrophy(sflr_pre_pve_percent, sflr_post_pve_percent)
    kgr = kinetic_growth_rate(dh, pve_day, post_pve_volumetry_day)
    weeks = known_only(post_pve_volumetry_day > pve_day, (post_pve_volumetry_day - pve_day) / 7)
    return ScoreParts(
        value=kgr,
        category=when(kgr >= KGR_MIN_PERCENT_PER_WEEK)
        .then("adequate growth")
        .otherwise("slow growth"),
        details={
            "degree_of_hypertrophy_points": dh,
            "weeks_since_pve": weeks,
            "dh_above_5_points": dh > DH_MIN_PERCENT_POINTS,
            "kgr_threshold": lit(KGR_MIN_PERCENT_PER_WEEK),
        },
    )


# --------------------------------------------------------------------------------------------
# Performance status
# --------------------------------------------------------------------------------------------


# The one ECOG <-> Karnofsky table (calculators.md §9, "usual" column, [?]): ECOG grade, lowest
# and highest Karnofsky score of its range. Both conversions below read it.
_KPS_RANGES: tuple[tuple[int, int, int], ...] = (
    (0, 100, 100),
    (1, 80, 90),
    (2, 60, 70),
    (3, 40, 50),
    (4, 10, 30),
    (5, 0, 0),
)


def ecog_from_karnofsky(karnofsky: Expr) -> ScoreParts:
    """Approximate ECOG from Karnofsky by :data:`_KPS_RANGES`: 100 → 0, 80–90 → 1, 60–70 → 2,
    40–50 → 3, 10–30 → 4, 0 → 5 (values between steps go to the worse ECOG; outside 0–100
    unknown).

    Oken MM et al., Am J Clin Oncol 1982;5(6):649–655; Karnofsky DA, Burchenal JH 1949.
    calculators.md §9: no official mapping exists and tables disagree on KPS 70/80 (ECOG 1 or
    2); we use the reference's "usual" column. Approximate: rules should use recorded ECOG.
    """
    valid = (karnofsky >= 0) & (karnofsky <= 100)
    *graded, (worst, _, _) = _KPS_RANGES
    ecog: Expr = lit(worst)
    label: Expr = lit(f"ECOG {worst} (approximate)")
    for grade, lowest, _ in reversed(graded):
        ecog = when(karnofsky >= lowest).then(grade).otherwise(ecog)
        label = when(karnofsky >= lowest).then(f"ECOG {grade} (approximate)").otherwise(label)
    value = known_only(valid, ecog)
    return ScoreParts(
        value=value,
        category=known_only(valid, label),
        details={"approximate": lit(True)},
    )


def karnofsky_from_ecog(ecog: Expr) -> ScoreParts:
    """Approximate Karnofsky range for an ECOG grade, by :data:`_KPS_RANGES`: 0 → 100,
    1 → 80–90, 2 → 60–70, 3 → 40–50, 4 → 10–30, 5 → 0 (calculators.md §9, "usual" column, [?]).

    The value is the lower end of the range (never overstates fitness); ``low``/``high`` are
    details. Other tables shift every range down by 10.
    """
    low: Expr = UNKNOWN
    high: Expr = UNKNOWN
    label: Expr = UNKNOWN
    for grade, lo, hi in reversed(_KPS_RANGES):
        text = f"KPS {lo} (approximate)" if lo == hi else f"KPS {lo}–{hi} (approximate)"
        low = when(ecog.eq(grade)).then(lo).otherwise(low)
        high = when(ecog.eq(grade)).then(hi).otherwise(high)
        label = when(ecog.eq(grade)).then(text).otherwise(label)
    return ScoreParts(
        value=low,
        category=label,
        details={"low": low, "high": high, "approximate": lit(True)},
    )
