"""A seedable synthetic cohort: realistic liver-metastasis referrals, made directly in columns.

:func:`generate_cohort` makes the case table and child tables that ``cohort.engine`` reads (the
columns and types of ``features.catalog``), for a million cases in a few seconds.
:func:`generate_cases` makes the same patients as case documents (``case.model``), for tests
that run one case at a time. Both come from one draw, so ``generate_cohort(n, seed)`` is what
flattening the documents of ``generate_cases(n, seed)`` gives (up to unit-conversion rounding).

Randomness is vectorised in polars without numpy: every random number is a SplitMix64 hash of
(row key, stream name, seed), computed with wrapping 64-bit integer arithmetic, so the random
bits depend only on the seed and the row -- not on the machine, thread count or polars version
(values shaped through floating-point ``log``/``pow`` could at most differ in a last bit
between maths libraries) -- and the first cases of a cohort are the same whatever ``n`` is.

The distributions are plausible, not fitted: primaries weighted like liver-metastasis referral
series (colorectal about half), geometric-like lesion counts with a long tail, log-normal sizes,
labs mostly normal with a tail of abnormal values, biomarker frequencies by primary, and every
field missing at a plausible rate. Nothing clinical is decided here.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

import polars as pl

from livermets.case.model import PRIMARY_SITES, Care, ExtrahepaticSiteName, symptom_ids
from livermets.case.units import quantity_kinds
from livermets.cohort.engine import CASE_SCHEMA, CHILD_SCHEMAS

# --- randomness -------------------------------------------------------------------------

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_CHILD_STRIDE = 1 << 12  # child key = case index * stride + position within the case


def _mix(x: int) -> int:
    """SplitMix64 finaliser in Python (for stream salts)."""
    x &= _M64
    x = ((x ^ (x >> 30)) * _MIX1) & _M64
    x = ((x ^ (x >> 27)) * _MIX2) & _M64
    return x ^ (x >> 31)


def _u64(value: int) -> pl.Expr:
    return pl.lit(value & _M64, dtype=pl.UInt64)


class _Random:
    """Independent uniform streams over the rows of a frame, named by strings.

    The frame first gets a well-mixed 64-bit hash of its row key (:meth:`row_hash`, full
    SplitMix64); each named stream then re-mixes that hash with its own salt (one
    xorshift-multiply round). Everything is wrapping UInt64 arithmetic, so the values depend
    only on (seed, key, name).
    """

    def __init__(self, seed: int, key: str = "_idx", column: str = "_h") -> None:
        self._seed = _mix(seed * 0xD1B54A32D192ED03 + 0x2545F4914F6CDD1D)
        self._key = key
        self._column = column

    def row_hash(self) -> pl.Expr:
        x = pl.col(self._key) * _u64(_GOLDEN) + _u64(self._seed)
        x = x.xor(x // _u64(1 << 30)) * _u64(_MIX1)
        x = x.xor(x // _u64(1 << 27)) * _u64(_MIX2)
        return x.xor(x // _u64(1 << 31)).alias(self._column)

    def u(self, name: str) -> pl.Expr:
        """Uniform on (0, 1), never exactly 0 or 1."""
        salt = _mix(self._seed ^ _mix(zlib.crc32(name.encode())))
        x = pl.col(self._column).xor(_u64(salt)) * _u64(_MIX1)
        x = x.xor(x // _u64(1 << 32)) * _u64(_MIX2)
        return ((x // _u64(1 << 11)).cast(pl.Float64) + 0.5) * (2.0**-53)

    def chance(self, name: str, p: float | pl.Expr) -> pl.Expr:
        return self.u(name) < p

    def normal(self, name: str, mean: float | pl.Expr = 0.0, sd: float | pl.Expr = 1.0) -> pl.Expr:
        """Approximately normal from one uniform (Tukey lambda, lambda = 0.14; |z| < 4.9)."""
        u = self.u(name)
        return mean + sd * (4.91 * (u.pow(0.14) - (1.0 - u).pow(0.14)))

    def lognormal(self, name: str, median: float | pl.Expr, sigma: float) -> pl.Expr:
        return median * self.normal(name, 0.0, sigma).exp()

    def uniform(self, name: str, low: float | pl.Expr, high: float | pl.Expr) -> pl.Expr:
        return low + (high - low) * self.u(name)

    def geometric(self, name: str, p: float) -> pl.Expr:
        """1, 2, 3, ... with P(k) = p (1-p)^(k-1)."""
        return (self.u(name).log() / math.log1p(-p)).floor().cast(pl.Int64) + 1

    def choice(self, name: str, weights: Mapping[Any, float]) -> pl.Expr:
        return _pick(self.u(name), weights)

    def missing(self, name: str, expr: pl.Expr, rate: float | pl.Expr) -> pl.Expr:
        """``expr``, or null (unknown) at the given rate."""
        return pl.when(self.u("missing:" + name) >= rate).then(expr)


def _pick(u: pl.Expr, weights: Mapping[Any, float]) -> pl.Expr:
    """A categorical draw from one uniform: values with the given relative weights.

    Strings come back as an Enum (cheap to compare; cast to String on output).
    """
    items = [(k, w) for k, w in weights.items() if w > 0]
    total = sum(w for _, w in items)
    index: pl.Expr = pl.lit(0, dtype=pl.UInt32)
    cumulative = 0.0
    for _, weight in items[:-1]:
        cumulative += weight / total
        index = index + (u >= cumulative).cast(pl.UInt32)
    return _table([k for k, _ in items]).gather(index)


def _table(values: Sequence[Any]) -> pl.Expr:
    """A literal column to ``gather`` from."""
    if all(isinstance(v, str) for v in values):
        return pl.lit(pl.Series(values, dtype=pl.Enum(list(dict.fromkeys(values)))))
    if all(isinstance(v, bool) for v in values):
        return pl.lit(pl.Series(values, dtype=pl.Boolean))
    if all(isinstance(v, int) for v in values):
        return pl.lit(pl.Series(values, dtype=pl.Int64))
    return pl.lit(pl.Series(values, dtype=pl.Float64))


def _by(column: str, mapping: Mapping[str, float], default: float) -> pl.Expr:
    """A per-primary number, e.g. a probability that depends on the primary site."""
    assert column == "primary_site"
    values = [float(mapping.get(site, default)) for site in PRIMARY_SITES]
    return pl.lit(pl.Series(values, dtype=pl.Float64)).gather(pl.col(column).to_physical())


def _round(expr: pl.Expr, decimals: int) -> pl.Expr:
    return expr.round(decimals)


def _tidy(expr: pl.Expr) -> pl.Expr:
    """Vectorised ``case.units.tidy``: round to 9 significant digits."""
    scale = pl.lit(10.0).pow(8 - expr.abs().log10().floor())
    return pl.when(expr == 0).then(expr).otherwise((expr * scale).round(0) / scale)


# --- the population -----------------------------------------------------------------------

PRIMARY_WEIGHTS: dict[str, float] = {
    "colorectal": 0.55,
    "pancreas": 0.07,
    "breast": 0.07,
    "neuroendocrine": 0.05,
    "stomach": 0.035,
    "lung_nsclc": 0.035,
    "oesophagus": 0.025,
    "unknown_primary": 0.02,
    "melanoma_uveal": 0.015,
    "cholangiocarcinoma": 0.015,
    "kidney": 0.012,
    "ovary": 0.012,
    "gist": 0.01,
    "sarcoma": 0.01,
    "melanoma_cutaneous": 0.01,
    "lung_sclc": 0.008,
    "uterus": 0.006,
    "bladder": 0.005,
    "prostate": 0.005,
    "cervix": 0.003,
}
_FEMALE_SHARE = {
    "breast": 0.99,
    "ovary": 1.0,
    "uterus": 1.0,
    "cervix": 1.0,
    "prostate": 0.0,
}
_EXTRAHEPATIC_SHARE = {
    "colorectal": 0.30,
    "neuroendocrine": 0.30,
    "breast": 0.50,
    "lung_nsclc": 0.55,
    "lung_sclc": 0.60,
    "pancreas": 0.40,
    "melanoma_cutaneous": 0.55,
}
_SITES: tuple[str, ...] = get_args(ExtrahepaticSiteName)  # the case format's own list
_SITE_WEIGHTS = dict(zip(_SITES, (0.35, 0.25, 0.13, 0.10, 0.02, 0.04, 0.05, 0.06), strict=True))
_SITE_CONTROLLABLE = dict(zip(_SITES, (0.6, 0.4, 0.3, 0.2, 0.3, 0.5, 0.5, 0.3), strict=True))
_SYMPTOMS = {
    "tiredness": 0.15,
    "right_upper_pain": 0.12,
    "nausea": 0.05,
    "swollen_tummy": 0.02,
    "recent_unexplained_weight_loss": 0.10,
    "jaundice": 0.03,
    "itching": 0.03,
    "fever_sweats": 0.03,
    "dark_urine": 0.02,
    "confusion": 0.01,
}
_INVESTIGATIONS = {
    "liver_blood_tests": 0.85,
    "tumour_markers": 0.70,
    "ct_chest_abdomen_pelvis": 0.90,
    "liver_mri": 0.50,
    "pet_ct": 0.25,
    "ultrasound": 0.30,
    "liver_biopsy": 0.15,
    "biomarker_panel": 0.45,
    "ssr_imaging": 0.0,
    "colonoscopy": 0.0,
    "mammogram": 0.0,
    "brain_imaging": 0.03,
    "endoscopy": 0.0,
    "angiography": 0.04,
    "laparoscopy": 0.02,
    "primary_biopsy": 0.30,
}
_MARKERS: dict[str, tuple[dict[str, float], float, int, float]] = {
    # marker: (P(measured) by primary, median value, decimals, ULN)
    "cea": (
        {
            "colorectal": 0.8,
            "pancreas": 0.4,
            "stomach": 0.4,
            "breast": 0.2,
            "unknown_primary": 0.4,
            "oesophagus": 0.3,
        },
        12.0,
        1,
        5.0,
    ),
    "ca19_9": (
        {
            "colorectal": 0.35,
            "pancreas": 0.85,
            "cholangiocarcinoma": 0.85,
            "stomach": 0.35,
            "unknown_primary": 0.4,
        },
        90.0,
        0,
        37.0,
    ),
    "ca15_3": ({"breast": 0.7}, 60.0, 0, 30.0),
    "ca125": ({"ovary": 0.9, "uterus": 0.4}, 150.0, 0, 35.0),
    "afp": ({"unknown_primary": 0.3}, 8.0, 1, 10.0),
    "chromogranin_a": ({"neuroendocrine": 0.7}, 250.0, 0, 100.0),
    "psa": ({"prostate": 0.95}, 45.0, 1, 4.0),
}
_ASCITES = {"none": 0.90, "mild": 0.07, "moderate_severe": 0.03}
_ACUTE = (
    "sepsis",
    "cholangitis",
    "bleeding",
    "visceral_crisis",
    "bowel_obstruction",
    "liver_failure",
    "spinal_cord_compression",
)
_REGIMENS = (
    "FOLFOX",
    "FOLFIRI",
    "CAPOX",
    "FOLFOX + anti-EGFR",
    "FOLFIRI + bevacizumab",
    "FOLFIRINOX",
    "gemcitabine + nab-paclitaxel",
    "endocrine + CDK4/6 inhibitor",
    "immunotherapy",
    "other",
)
# Couinaud segments: a neighbour to spread a large lesion into (8 -> 4 crosses the midline)
_NEXT_SEGMENT = {1: 8, 2: 3, 3: 4, 4: 8, 5: 6, 6: 7, 7: 8, 8: 4}
_SEGMENT_BIT = {s: 1 << (s - 1) for s in range(1, 9)}
_RIGHT = {5: 0.22, 6: 0.22, 7: 0.22, 8: 0.30, 1: 0.04}
_LEFT = {2: 0.30, 3: 0.30, 4: 0.40}
_ANY_SEGMENT = {1: 0.03, 2: 0.08, 3: 0.08, 4: 0.15, 5: 0.14, 6: 0.15, 7: 0.15, 8: 0.22}
_DAY_2023 = (dt.date(2023, 1, 1) - dt.date(1970, 1, 1)).days


@dataclass(frozen=True)
class _Unit:
    name: str
    weight: float
    decimals: int


def _factor(kind: str, unit: str) -> float:
    return quantity_kinds()[kind].factors[unit]


def _measure(
    r: _Random, name: str, kind: str, latent: pl.Expr, units: Sequence[_Unit], missing: float
) -> dict[str, pl.Expr]:
    """A measured quantity as documented: value in its unit (``_v_``) and the unit (``_u_``).

    The canonical value is computed later, exactly as the case model converts it.
    """
    unit = r.choice(f"{name}.unit", {u.name: u.weight for u in units})
    value: Any = None
    for u in units:
        in_unit = _round(latent / _factor(kind, u.name), u.decimals)
        value = (
            pl.when(unit == u.name).then(in_unit)
            if value is None
            else value.when(unit == u.name).then(in_unit)
        )
    return {f"_v_{name}": r.missing(name, value.otherwise(None), missing), f"_u_{name}": unit}


def _canonical(name: str, kind: str, units: Sequence[_Unit]) -> pl.Expr:
    factor = _table([_factor(kind, u.name) for u in units]).gather(
        pl.col(f"_u_{name}").to_physical()
    )
    return _tidy(pl.col(f"_v_{name}") * factor)


_BILIRUBIN_UNITS = (_Unit("mg/dL", 0.6, 1), _Unit("µmol/L", 0.4, 0))
_ALBUMIN_UNITS = (_Unit("g/dL", 0.5, 1), _Unit("g/L", 0.5, 0))
_CREATININE_UNITS = (_Unit("mg/dL", 0.6, 2), _Unit("µmol/L", 0.4, 0))
_WEIGHT_UNITS = (_Unit("kg", 0.92, 1), _Unit("lb", 0.08, 0))
_HEIGHT_UNITS = (_Unit("cm", 0.95, 0), _Unit("m", 0.05, 2))
_PLAIN: dict[str, tuple[_Unit, ...]] = {
    "inr": (_Unit("ratio", 1.0, 2),),
    "sodium": (_Unit("mmol/L", 1.0, 0),),
    "platelets": (_Unit("10^9/L", 1.0, 0),),
    "alt": (_Unit("U/L", 1.0, 0),),
    "ast": (_Unit("U/L", 1.0, 0),),
    "alp": (_Unit("U/L", 1.0, 0),),
    "liver_volume": (_Unit("mL", 1.0, 0),),
}
# (document field, quantity kind, units) for every converted case-level quantity
_MEASURED: tuple[tuple[str, str, tuple[_Unit, ...]], ...] = (
    ("height", "height", _HEIGHT_UNITS),
    ("weight", "weight", _WEIGHT_UNITS),
    ("bilirubin", "bilirubin", _BILIRUBIN_UNITS),
    ("albumin", "albumin", _ALBUMIN_UNITS),
    ("inr", "inr", _PLAIN["inr"]),
    ("creatinine", "creatinine", _CREATININE_UNITS),
    ("sodium", "sodium", _PLAIN["sodium"]),
    ("platelets", "platelets", _PLAIN["platelets"]),
    ("alt", "alt", _PLAIN["alt"]),
    ("ast", "ast", _PLAIN["ast"]),
    ("alp", "alp", _PLAIN["alp"]),
    ("flr_volume", "liver_volume", _PLAIN["liver_volume"]),
    ("total_liver_volume", "liver_volume", _PLAIN["liver_volume"]),
)


def _latent(r: _Random) -> list[pl.Expr]:
    """Stage 1: the patient as they are (no missing data yet)."""
    return [
        r.choice("primary", PRIMARY_WEIGHTS).cast(pl.Enum(PRIMARY_SITES)).alias("primary_site"),
        r.choice("ecog", {0: 0.38, 1: 0.40, 2: 0.14, 3: 0.06, 4: 0.02}).alias("_ecog"),
        _round(r.normal("age", 64.0, 11.0).clip(25.0, 92.0), 0).alias("_age"),
        (_DAY_2023 + (r.u("as_of") * 1095).floor()).cast(pl.Int64).alias("_as_of"),
        # lesions: a mixture of "few" and "many" geometric counts, capped
        pl.when(r.chance("lesions.many", 0.2))
        .then(r.geometric("lesions.n_many", 0.1))
        .otherwise(r.geometric("lesions.n_few", 0.4))
        .clip(1, 60)
        .alias("_n_lesions"),
        r.choice("lobe", {"R": 0.45, "L": 0.13, "B": 0.42}).alias("_lobe"),
        r.chance("cirrhosis", 0.03).alias("_cirrhosis"),
        r.chance("liver.synchronous", 0.45).alias("_synchronous"),
        r.choice("systemic_lines", {0: 0.5, 1: 0.3, 2: 0.13, 3: 0.05, 4: 0.02}).alias("_lines"),
        r.chance("acute", 0.03).alias("_acute"),
    ]


def _observed(r: _Random) -> list[pl.Expr]:
    """Stage 2: what the referral records, with missing data."""
    site = pl.col("primary_site")
    colorectal = site == "colorectal"
    net = site == "neuroendocrine"
    ecog = pl.col("_ecog")
    female = r.chance("sex", _by("primary_site", _FEMALE_SHARE, 0.42))
    sex = _either(female, "female", "male")
    height = r.normal("height", pl.when(female).then(163.0).otherwise(176.0), 7.0).clip(140, 205)
    weight = r.lognormal("weight", pl.when(female).then(68.0).otherwise(82.0), 0.18).clip(38, 180)
    many = pl.col("_n_lesions")
    itemise = r.chance("lesions.itemised", 0.8)
    n_items = pl.when(itemise).then(many.clip(0, 12)).otherwise(0)
    count_given = (
        pl.when(many > n_items)
        .then(r.chance("lesions.count_given", 0.9))
        .otherwise(r.chance("lesions.count_given_all", 0.4))
    )
    detection = pl.col("_as_of") - (r.uniform("detection", 7, 120)).floor().cast(pl.Int64)
    diagnosis = detection - pl.when(pl.col("_synchronous")).then(
        r.uniform("dx.sync", 0, 60)
    ).otherwise(r.lognormal("dx.meta", 700.0, 0.6).clip(120, 6000)).floor().cast(pl.Int64)
    resected = (
        pl.when(pl.col("_synchronous"))
        .then(r.chance("resected.sync", 0.35))
        .otherwise(r.chance("resected.meta", 0.93))
    )
    bilirubin = (
        pl.when(r.chance("bilirubin.tail", 0.08))
        .then(r.lognormal("bilirubin.high", 2.0, 0.7))
        .otherwise(r.lognormal("bilirubin", 0.6, 0.4))
        .clip(0.1, 30.0)
    )
    albumin = r.normal("albumin", 3.9, 0.5).clip(1.5, 5.4) - pl.when(pl.col("_cirrhosis")).then(
        0.4
    ).otherwise(0.0)
    inr = (
        pl.when(pl.col("_cirrhosis"))
        .then(r.lognormal("inr.cirrhosis", 1.35, 0.15))
        .otherwise(r.lognormal("inr", 1.03, 0.08))
        .clip(0.8, 5.0)
    )
    volumetry = r.chance("volumetry", pl.when(colorectal & (many >= 4)).then(0.45).otherwise(0.12))
    tlv = r.normal("tlv", 1650.0, 300.0).clip(800.0, 3000.0)
    flr_fraction = r.uniform("flr.fraction", 0.15, 0.75)
    sflr = _round((flr_fraction * 100 * r.uniform("sflr.noise", 0.85, 1.1)).clip(5, 95), 1)
    pve = volumetry & (flr_fraction < 0.3) & r.chance("pve", 0.5)
    pve_day = pl.col("_as_of") - r.uniform("pve.day", 30, 120).floor().cast(pl.Int64)
    kps = ecog.replace_strict({0: 95, 1: 75, 2: 55, 3: 35, 4: 15}, return_dtype=pl.Int64) + (
        pl.when(r.chance("kps", 0.5)).then(5).otherwise(-5)
    )
    ecog_given = r.chance("ecog.given", 0.82)
    responders = {"complete": 0.03, "partial": 0.35, "stable": 0.37, "progression": 0.25}
    response = r.choice("response", responders)
    lines = pl.col("_lines")
    ehd = r.chance("ehd", _by("primary_site", _EXTRAHEPATIC_SHARE, 0.4))
    ehd_listed = ehd & r.chance("ehd.listed", 0.8)
    bilirubin_doc = _measure(r, "bilirubin", "bilirubin", bilirubin, _BILIRUBIN_UNITS, 0.10)
    out: list[pl.Expr] = [
        r.missing("age", pl.col("_age"), 0.03).alias("age_years"),
        r.missing("sex", sex, 0.02).alias("sex"),
        *(
            e.alias(k)
            for k, e in _measure(r, "height", "height", height, _HEIGHT_UNITS, 0.30).items()
        ),
        *(
            e.alias(k)
            for k, e in _measure(r, "weight", "weight", weight, _WEIGHT_UNITS, 0.20).items()
        ),
        r.missing(
            "side",
            pl.when(colorectal).then(r.choice("side.value", {"left": 0.7, "right": 0.3})),
            0.12,
        ).alias("colorectal_side"),
        r.missing("nodes", r.chance("nodes.value", 0.6), 0.35).alias("node_positive_primary"),
        r.missing(
            "grade", pl.when(net).then(r.choice("grade.value", {1: 0.35, 2: 0.5, 3: 0.15})), 0.2
        ).alias("net_grade"),
        r.missing(
            "ki67",
            pl.when(net).then(_round(r.lognormal("ki67.value", 5.0, 1.0).clip(0.5, 90.0), 0)),
            0.3,
        ).alias("ki67_percent"),
        r.missing("resected", resected, 0.12).alias("primary_resected"),
        r.missing("controlled", resected | r.chance("controlled.value", 0.4), 0.3).alias(
            "primary_controlled"
        ),
        r.missing("symptomatic", r.chance("symptomatic.value", 0.1), 0.35).alias(
            "primary_symptomatic"
        ),
        r.missing("hormone", pl.when(net).then(r.chance("hormone.value", 0.3)), 0.2).alias(
            "hormone_syndrome"
        ),
        r.missing("histology", r.chance("histology.value", 0.97), 0.08).alias(
            "histology_confirmed"
        ),
        r.missing("dx.day", diagnosis, 0.25).alias("primary_diagnosis_day"),
        r.missing(
            "tx.day",
            pl.when(resected).then(diagnosis + r.uniform("tx.delay", 7, 60).floor().cast(pl.Int64)),
            0.35,
        ).alias("primary_treatment_day"),
        r.missing("detection.day", detection, 0.2).alias("liver_detection_day"),
        r.missing(
            "timing", _either(pl.col("_synchronous"), "synchronous", "metachronous"), 0.3
        ).alias("timing_reported"),
        n_items.alias("_n_items"),
        pl.when(count_given).then(many).alias("lesion_count_reported"),
        r.missing(
            "distribution", _either(pl.col("_lobe") == "B", "bilobar", "unilobar"), 0.4
        ).alias("distribution_reported"),
        r.missing("liver_dominant", ~ehd | r.chance("liver_dominant.value", 0.5), 0.65).alias(
            "liver_dominant_reported"
        ),
        r.missing(
            "tlp",
            _round(
                (r.lognormal("tlp.value", 8.0, 0.7) * many.cast(pl.Float64).sqrt()).clip(1, 90), 0
            ),
            0.75,
        ).alias("tumour_liver_percent"),
        r.missing("liver.biopsy", r.chance("liver.biopsy.value", 0.4), 0.5).alias(
            "liver_biopsy_confirmed"
        ),
        # extrahepatic: "present" as written, the sites listed, "controllable" as written
        pl.when(ehd)
        .then(r.missing("ehd.present", pl.lit(True), 0.15))
        .otherwise(r.missing("ehd.absent", pl.lit(False), 0.15))
        .alias("_ehd_present"),
        ehd_listed.alias("_ehd_listed"),
        pl.when(ehd)
        .then(r.missing("ehd.controllable", r.chance("ehd.controllable.value", 0.45), 0.6))
        .alias("_ehd_controllable"),
        *(e.alias(k) for k, e in bilirubin_doc.items()),
        pl.when(r.chance("bilirubin.uln", 0.4))
        .then(pl.when(bilirubin_doc["_u_bilirubin"] == "mg/dL").then(1.2).otherwise(21.0))
        .alias("_uln_bilirubin"),
        *(
            e.alias(k)
            for k, e in _measure(r, "albumin", "albumin", albumin, _ALBUMIN_UNITS, 0.15).items()
        ),
        *(e.alias(k) for k, e in _measure(r, "inr", "inr", inr, _PLAIN["inr"], 0.25).items()),
        *(
            e.alias(k)
            for k, e in _measure(
                r,
                "creatinine",
                "creatinine",
                r.lognormal("creatinine", 0.85, 0.3).clip(0.3, 12.0),
                _CREATININE_UNITS,
                0.10,
            ).items()
        ),
        *(
            e.alias(k)
            for k, e in _measure(
                r,
                "sodium",
                "sodium",
                r.normal("sodium", 139.0, 3.0).clip(118.0, 155.0),
                _PLAIN["sodium"],
                0.12,
            ).items()
        ),
        *(
            e.alias(k)
            for k, e in _measure(
                r,
                "platelets",
                "platelets",
                pl.when(pl.col("_cirrhosis"))
                .then(r.lognormal("platelets.cirrhosis", 110.0, 0.4))
                .otherwise(r.lognormal("platelets", 240.0, 0.35))
                .clip(10.0, 900.0),
                _PLAIN["platelets"],
                0.10,
            ).items()
        ),
        *(
            e.alias(k)
            for k, e in _measure(
                r,
                "alt",
                "alt",
                r.lognormal("alt", 25.0, 0.5).clip(5.0, 1500.0),
                _PLAIN["alt"],
                0.20,
            ).items()
        ),
        *(
            e.alias(k)
            for k, e in _measure(
                r,
                "ast",
                "ast",
                r.lognormal("ast", 28.0, 0.5).clip(5.0, 1500.0),
                _PLAIN["ast"],
                0.25,
            ).items()
        ),
        pl.when(r.chance("ast.uln", 0.4)).then(40.0).alias("_uln_ast"),
        *(
            e.alias(k)
            for k, e in _measure(
                r,
                "alp",
                "alp",
                r.lognormal("alp", 110.0, 0.5).clip(20.0, 2500.0),
                _PLAIN["alp"],
                0.25,
            ).items()
        ),
        r.missing(
            "ascites",
            pl.when(pl.col("_cirrhosis"))
            .then(r.choice("ascites.cirrhosis", {"none": 0.6, "mild": 0.3, "moderate_severe": 0.1}))
            .otherwise(r.choice("ascites.value", _ASCITES)),
            0.35,
        ).alias("ascites"),
        r.missing(
            "encephalopathy", r.choice("encephalopathy.value", {0: 0.97, 1: 0.02, 2: 0.01}), 0.4
        ).alias("encephalopathy_grade"),
        r.missing("dialysis", r.chance("dialysis.value", 0.005), 0.5).alias("dialysis"),
        pl.when(ecog_given).then(ecog).alias("ecog"),
        pl.when(
            pl.when(ecog_given)
            .then(r.chance("kps.also", 0.15))
            .otherwise(r.chance("kps.instead", 0.4))
        )
        .then(kps.clip(10, 100))
        .alias("karnofsky"),
        r.missing(
            "fit",
            (ecog <= 1) & (pl.col("_age") < 80) & r.chance("fit.value", 0.9)
            | (ecog == 2) & r.chance("fit.ecog2", 0.3),
            0.45,
        ).alias("fit_for_major_surgery"),
        r.missing("cirrhosis", pl.col("_cirrhosis"), 0.3).alias("cirrhosis"),
        r.missing("fibrosis", pl.col("_cirrhosis") | r.chance("fibrosis.value", 0.06), 0.45).alias(
            "fibrosis"
        ),
        r.missing("steatosis", r.chance("steatosis.value", 0.25), 0.45).alias("steatosis"),
        r.missing(
            "portal_hypertension", pl.col("_cirrhosis") & r.chance("ph.value", 0.5), 0.5
        ).alias("portal_hypertension"),
        r.missing("cholestatic", r.chance("cholestatic.value", 0.005), 0.5).alias(
            "cholestatic_liver_disease"
        ),
        r.missing("prior_hepatectomy", r.chance("prior_hepatectomy.value", 0.12), 0.2).alias(
            "prior_hepatectomy"
        ),
        r.missing(
            "extensive_chemo", (lines >= 2) | r.chance("extensive_chemo.value", 0.1), 0.4
        ).alias("extensive_chemotherapy"),
        *_biomarkers(r),
        *(
            e.alias(k)
            for k, e in _measure(
                r,
                "flr_volume",
                "liver_volume",
                pl.when(volumetry).then(tlv * flr_fraction),
                _PLAIN["liver_volume"],
                0.1,
            ).items()
        ),
        *(
            e.alias(k)
            for k, e in _measure(
                r,
                "total_liver_volume",
                "liver_volume",
                pl.when(volumetry).then(tlv),
                _PLAIN["liver_volume"],
                0.4,
            ).items()
        ),
        pl.when(volumetry).then(r.missing("sflr", sflr, 0.6)).alias("sflr_reported_percent"),
        pl.when(volumetry).then(r.missing("pve.done", pve, 0.3)).alias("pve_done"),
        pl.when(pve).then(r.missing("sflr.pre", sflr, 0.3)).alias("sflr_pre_pve_percent"),
        pl.when(pve)
        .then(
            r.missing("sflr.post", _round((sflr * r.uniform("kgr", 1.1, 1.8)).clip(5, 95), 1), 0.3)
        )
        .alias("sflr_post_pve_percent"),
        pl.when(pve).then(r.missing("pve.day", pve_day, 0.3)).alias("pve_day"),
        pl.when(pve)
        .then(
            r.missing(
                "pve.scan",
                pve_day + r.uniform("pve.scan.delay", 21, 42).floor().cast(pl.Int64),
                0.3,
            )
        )
        .alias("post_pve_volumetry_day"),
        pl.when(lines > 0)
        .then(r.missing("response.status", response, 0.15))
        .alias("response_status"),
        pl.when((lines > 0) & (response != "progression"))
        .then(r.missing("dcm", _round(r.lognormal("dcm.value", 6.0, 0.6).clip(0.5, 120.0), 1), 0.5))
        .alias("disease_control_months"),
        pl.when(r.chance("sirt", 0.07))
        .then(_round(r.lognormal("lsf", 6.0, 0.6).clip(0.5, 40.0), 1))
        .alias("lung_shunt_percent"),
        pl.when(r.chance("sirt.flow", 0.06))
        .then(r.chance("sirt.flow.value", 0.9))
        .alias("nontarget_flow_excluded"),
        pl.when(pl.col("_acute"))
        .then(r.choice("acute.value", dict.fromkeys(_ACUTE, 1.0)))
        .alias("acute_problem"),
        r.missing("mdt", r.chance("mdt.value", 0.69), 0.35).alias("discussed_at_hpb_mdt"),
        r.missing("wants", r.chance("wants.value", 0.95), 0.16).alias("wants_active_treatment"),
        r.missing("as_of", pl.col("_as_of"), 0.05).alias("as_of_day"),
        # an absent list of previous treatment is unknown; an empty one means none
        r.missing("systemic_lines", lines, 0.2).alias("systemic_lines"),
        # child-row counts and per-case settings for the child tables
        pl.when(ehd_listed).then(r.choice("ehd.first", _SITE_WEIGHTS)).alias("_ehd_first"),
        r.chance("diameter.mm", 0.3).alias("_mm"),
        r.lognormal("marker.trend", 1.0, 0.35).alias("_trend"),
        r.lognormal("marker.level", 1.0, 1.0).alias("_level"),
        r.chance("marker.uln", 0.5).alias("_marker_uln"),
        r.chance("marker.ug_l", 0.1).alias("_ug_l"),
    ]
    return out


def _status(r: _Random, name: str, p: float | pl.Expr, yes: str, no: str) -> pl.Expr:
    return _either(r.chance(name, p), yes, no)


def _either(condition: pl.Expr, yes: str, no: str) -> pl.Expr:
    """``yes`` where the condition holds, else ``no`` (an Enum; null stays null)."""
    return _table([no, yes]).gather(condition.cast(pl.UInt32))


def _biomarkers(r: _Random) -> list[pl.Expr]:
    site = pl.col("primary_site")

    def tested(name: str, rates: Mapping[str, float], value: pl.Expr) -> pl.Expr:
        return pl.when(r.chance(f"{name}.tested", _by("primary_site", rates, 0.0))).then(value)

    kras_rate = _by("primary_site", {"colorectal": 0.42, "pancreas": 0.9, "lung_nsclc": 0.3}, 0.1)
    kras_mutant = r.chance("kras.value", kras_rate)
    kras = _either(kras_mutant, "mutant", "wild_type")
    ras_tested = {"colorectal": 0.75, "pancreas": 0.4, "lung_nsclc": 0.7}
    braf_rate = _by("primary_site", {"colorectal": 0.08, "melanoma_cutaneous": 0.45}, 0.02)
    braf = _either(~kras_mutant & r.chance("braf.value", braf_rate), "mutant", "wild_type")
    mmr_rate = _by("primary_site", {"colorectal": 0.04, "uterus": 0.25, "stomach": 0.08}, 0.02)
    her2_pos = _by(
        "primary_site",
        {"breast": 0.2, "stomach": 0.18, "oesophagus": 0.18, "colorectal": 0.03},
        0.02,
    )
    her2 = _table(["negative", "low", "positive"]).gather(
        pl.when(r.chance("her2.value", her2_pos))
        .then(2)
        .when((site == "breast") & r.chance("her2.low", 0.45))
        .then(1)
        .otherwise(0)
        .cast(pl.UInt32)
    )
    er = r.chance("er.value", 0.7)
    return [
        tested("kras", ras_tested, kras).alias("kras"),
        tested(
            "nras",
            ras_tested,
            _either(~kras_mutant & r.chance("nras.value", 0.07), "mutant", "wild_type"),
        ).alias("nras"),
        tested(
            "braf", {"colorectal": 0.65, "melanoma_cutaneous": 0.9, "lung_nsclc": 0.5}, braf
        ).alias("braf_v600e"),
        tested(
            "mmr",
            {"colorectal": 0.7, "uterus": 0.8, "stomach": 0.4, "unknown_primary": 0.3},
            _status(r, "mmr.value", mmr_rate, "dmmr_msi_high", "pmmr_mss"),
        ).alias("mmr"),
        tested(
            "her2", {"breast": 0.95, "stomach": 0.6, "oesophagus": 0.5, "colorectal": 0.2}, her2
        ).alias("her2"),
        tested("er", {"breast": 0.95}, _either(er, "positive", "negative")).alias("er"),
        tested(
            "pr", {"breast": 0.9}, _either(er & r.chance("pr.value", 0.85), "positive", "negative")
        ).alias("pr"),
        tested(
            "brca",
            {"breast": 0.35, "pancreas": 0.3, "ovary": 0.7, "prostate": 0.4},
            _status(r, "brca.value", 0.07, "mutant", "wild_type"),
        ).alias("brca"),
        tested(
            "egfr",
            {"lung_nsclc": 0.85},
            _either(~kras_mutant & r.chance("egfr.value", 0.2), "mutant", "wild_type"),
        ).alias("egfr"),
        tested(
            "alk", {"lung_nsclc": 0.8}, _status(r, "alk.value", 0.05, "positive", "negative")
        ).alias("alk"),
        tested(
            "ros1", {"lung_nsclc": 0.7}, _status(r, "ros1.value", 0.02, "positive", "negative")
        ).alias("ros1"),
        tested(
            "kras_g12c",
            {"lung_nsclc": 0.7, "colorectal": 0.5, "pancreas": 0.2},
            _either(
                kras_mutant
                & r.chance(
                    "g12c.value", _by("primary_site", {"lung_nsclc": 0.4, "colorectal": 0.08}, 0.02)
                ),
                "mutant",
                "wild_type",
            ),
        ).alias("kras_g12c"),
        tested(
            "pd_l1",
            {
                "lung_nsclc": 0.85,
                "stomach": 0.5,
                "oesophagus": 0.5,
                "breast": 0.3,
                "bladder": 0.5,
                "cervix": 0.5,
            },
            pl.when(r.chance("pd_l1.zero", 0.35))
            .then(0.0)
            .otherwise(_round(r.uniform("pd_l1.value", 1.0, 100.0), 0)),
        ).alias("pd_l1_percent"),
        tested("kit", {"gist": 0.75}, _status(r, "kit.value", 0.85, "mutant", "wild_type")).alias(
            "kit_pdgfra"
        ),
        tested(
            "sstr", {"neuroendocrine": 0.7}, _status(r, "sstr.value", 0.85, "positive", "negative")
        ).alias("sstr"),
        tested(
            "hla", {"melanoma_uveal": 0.6}, _status(r, "hla.value", 0.45, "positive", "negative")
        ).alias("hla_a0201"),
    ]


# --- child tables ---------------------------------------------------------------------------


def _child_random(seed: int) -> _Random:
    return _Random(seed, "_key", "_hk")


def _explode(cases: pl.LazyFrame, seed: int, count: pl.Expr, keep: Sequence[str]) -> pl.LazyFrame:
    """One row per (case, position ``_j``), hashed for the child's random streams."""
    return (
        cases.select("_idx", *keep, pl.int_ranges(0, count, dtype=pl.UInt64).alias("_j"))
        .explode("_j")
        .filter(pl.col("_j").is_not_null())
        .with_columns((pl.col("_idx") * _CHILD_STRIDE + pl.col("_j")).alias("_key"))
        .with_columns(_child_random(seed).row_hash())
    )


def _bit(segment: pl.Expr) -> pl.Expr:
    return segment.replace_strict(_SEGMENT_BIT, return_dtype=pl.Int64)


def _lesions(cases: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    r = _child_random(seed)
    rows = _explode(cases, seed, pl.col("_n_items"), ["_lobe", "_mm", "_n_items"])
    j = pl.col("_j")
    lobe = pl.col("_lobe")
    first = (
        pl.when(lobe == "R")
        .then(r.choice("seg.r", _RIGHT))
        .when(lobe == "L")
        .then(r.choice("seg.l", _LEFT))
        .when(j == 0)
        .then(r.choice("seg.b0", _RIGHT))
        .when(j == 1)
        .then(r.choice("seg.b1", _LEFT))
        .otherwise(r.choice("seg.any", _ANY_SEGMENT))
    )
    size = (r.lognormal("diameter", 1.9, 0.7) * pl.when(j == 0).then(1.4).otherwise(1.0)).clip(
        0.3, 20.0
    )
    rows = rows.with_columns(first.alias("_s1"), _round(size, 1).alias("_d"))
    s1, d = pl.col("_s1"), pl.col("_d")
    s2 = s1.replace_strict(_NEXT_SEGMENT, return_dtype=pl.Int64)
    s3 = s2.replace_strict(_NEXT_SEGMENT, return_dtype=pl.Int64)
    zero = pl.lit(0, dtype=pl.Int64)
    mask = (
        _bit(s1)
        | pl.when((d > 5) & r.chance("span1", 0.6)).then(_bit(s2)).otherwise(zero)
        | pl.when((d > 8) & r.chance("span2", 0.6)).then(_bit(s3)).otherwise(zero)
        | pl.when((lobe == "B") & (pl.col("_n_items") == 1)).then(_bit(pl.lit(4))).otherwise(zero)
    )
    involving = 0.04 + pl.when(d > 5).then(0.16).otherwise(0.0)
    u_vessel = r.u("vessel")
    vessel = _table(["involving", "abutting", "clear"]).gather(
        (u_vessel >= involving).cast(pl.UInt32) + (u_vessel >= involving + 0.22).cast(pl.UInt32)
    )
    dome = ((s1 == 7) | (s1 == 8)).cast(pl.Float64) * 0.25 + 0.06
    diameter = r.missing("diameter", d, 0.08)
    in_mm = pl.col("_mm")
    return rows.with_columns(
        r.missing("segments", mask, 0.1).alias("_mask"),
        pl.when(in_mm).then(_round(diameter * 10, 0)).otherwise(diameter).alias("_v_diameter"),
        _either(in_mm, "mm", "cm").alias("_u_diameter"),
        r.missing("vessel", vessel, 0.3).alias("vessel_relation"),
        r.missing("near_vessel", r.chance("near_vessel.value", 0.35), 0.5).alias(
            "near_large_vessel"
        ),
        r.missing(
            "duct", r.choice("duct.value", {"clear": 0.85, "near": 0.1, "involving": 0.05}), 0.4
        ).alias("bile_duct_relation"),
        r.missing("diaphragm", r.chance("diaphragm.value", dome), 0.5).alias("near_diaphragm"),
        r.missing("bowel", r.chance("bowel.value", 0.1), 0.5).alias("near_bowel_or_gallbladder"),
        r.missing(
            "margin", r.chance("margin.value", pl.when(d <= 3).then(0.8).otherwise(0.3)), 0.6
        ).alias("ablation_margin_achievable"),
    )


def _markers(cases: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    """Tumour marker series: 1-6 dated values per marker measured, trending per case."""
    parts: list[pl.LazyFrame] = []
    for marker, (rates, median, decimals, uln) in _MARKERS.items():
        rc = _Random(seed)
        points = (
            pl.when(rc.chance(f"{marker}.measured", _by("primary_site", rates, 0.0)))
            .then(rc.geometric(f"{marker}.points", 0.45).clip(1, 6))
            .otherwise(0)
        )
        r = _child_random(seed)
        rows = _explode(
            cases.with_columns(
                points.alias("_points"), rc.chance(f"{marker}.raised", 0.6).alias("_raised")
            ),
            seed,
            pl.col("_points"),
            ["_points", "_raised", "_as_of", "_trend", "_level", "_marker_uln", "_ug_l"],
        )
        steps_back = (pl.col("_points") - 1 - pl.col("_j").cast(pl.Int64)).cast(pl.Float64)
        normal = r.lognormal(f"{marker}.normal", uln * 0.4, 0.5)
        raised = (
            median
            * pl.col("_level")
            * pl.col("_trend").pow(-steps_back)
            * r.lognormal(f"{marker}.noise", 1.0, 0.1)
        )
        value = pl.when(pl.col("_raised")).then(raised).otherwise(normal)
        undated = (pl.col("_points") == 1) & r.chance(f"{marker}.undated", 0.15)
        day = pl.col("_as_of") - (steps_back * 75 + r.uniform(f"{marker}.day", 0, 30)).floor()
        unit = "ng/mL" if marker in {"cea", "afp", "chromogranin_a", "psa"} else "U/mL"
        parts.append(
            rows.select(
                "_idx",
                pl.lit(marker).alias("marker"),
                pl.when(~undated).then(day).alias("day"),
                _round(value.clip(0.0, 90000.0), decimals).alias("_v"),
                _either(pl.col("_ug_l") & (unit == "ng/mL"), "µg/L", unit)
                .cast(pl.String)
                .alias("_u"),
                pl.when(pl.col("_marker_uln")).then(pl.lit(uln)).alias("_uln"),
            )
        )
    return pl.concat(parts).sort("_idx", maintain_order=True)


def _flags(
    cases: pl.LazyFrame,
    seed: int,
    name: str,
    column: str,
    probabilities: Mapping[str, pl.Expr],
    extra: Callable[[str], Sequence[pl.Expr]] = lambda item: (),
) -> pl.LazyFrame:
    """A child table of items, each present with its own probability (symptoms, tests, sites).

    ``extra(item)`` gives more columns of the item's row, computed on the case row.
    """
    r = _Random(seed)
    parts = [
        cases.filter(r.chance(f"{name}.{item}", p)).select(
            "_idx", pl.lit(item).alias(column), *extra(item)
        )
        for item, p in probabilities.items()
    ]
    return pl.concat(parts).sort("_idx", maintain_order=True)


def _extrahepatic(cases: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    r = _Random(seed)
    listed = pl.col("_ehd_listed")
    first = pl.col("_ehd_first")
    probabilities = {
        site: listed & ((first == site) | r.chance(f"ehd.extra.{site}", 0.1)) for site in _SITES
    }

    def controllable(site: str) -> list[pl.Expr]:
        known = r.chance(f"ehd.{site}.controllable.value", _SITE_CONTROLLABLE[site])
        return [r.missing(f"ehd.{site}.controllable", known, 0.4).alias("controllable")]

    # the site draws are folded into the probabilities, so every row passes "chance < 1"
    return _flags(
        cases,
        seed,
        "ehd",
        "site",
        {site: pl.when(p).then(2.0).otherwise(0.0) for site, p in probabilities.items()},
        controllable,
    ).select("_idx", "site", "controllable")


def _investigations(cases: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    site = pl.col("primary_site")
    special = {
        "ssr_imaging": pl.when(site == "neuroendocrine").then(0.7).otherwise(0.0),
        "colonoscopy": pl.when(site == "colorectal").then(0.6).otherwise(0.03),
        "mammogram": pl.when(site == "breast").then(0.7).otherwise(0.0),
        "endoscopy": pl.when(site.is_in(["stomach", "oesophagus"])).then(0.8).otherwise(0.03),
        "brain_imaging": pl.when(site.is_in(["lung_nsclc", "lung_sclc", "melanoma_cutaneous"]))
        .then(0.5)
        .otherwise(0.03),
    }
    probabilities: dict[str, pl.Expr] = {
        name: special.get(name, pl.lit(p)) for name, p in _INVESTIGATIONS.items()
    }
    r = _Random(seed)

    def day(item: str) -> list[pl.Expr]:
        ago = r.uniform(f"investigation.{item}.day", 0, 180).floor().cast(pl.Int64)
        return [r.missing(f"investigation.{item}.day", pl.col("_as_of") - ago, 0.15).alias("day")]

    return _flags(cases, seed, "investigation", "investigation", probabilities, day)


@dataclass(frozen=True)
class _Draw:
    cases: pl.DataFrame
    lesions: pl.DataFrame
    markers: pl.DataFrame
    extrahepatic: pl.DataFrame
    symptoms: pl.DataFrame
    investigations: pl.DataFrame
    programmes: pl.DataFrame


def _programme_names() -> tuple[str, ...]:
    """Trials and specialist programmes a case may list (``care.programmes``), if the case
    format has them."""
    field = Care.model_fields.get("programmes")
    if field is None:
        return ()
    (item,) = get_args(field.annotation)
    return tuple(str(name) for name in get_args(item))


def _programmes(cases: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    names = _programme_names()
    if not names:
        return pl.LazyFrame(schema={"_idx": pl.UInt64, "programme": pl.String})
    rates = {name: pl.lit(0.04 if name == "clinical_trial" else 0.005) for name in names}
    return _flags(cases, seed, "programme", "programme", rates)


def _draw(n: int, seed: int) -> _Draw:
    """Every patient as documented (values in their documented units, hidden latents kept)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    r = _Random(seed, "_idx")
    base = (
        pl.LazyFrame({"_idx": pl.Series([], dtype=pl.UInt64)})
        if n == 0
        else pl.select(pl.int_range(0, n, dtype=pl.UInt64).alias("_idx")).lazy()
    )
    # Each stage is materialised: left lazy, polars would inline the row hash into every
    # stream that reads it.
    hashed = base.with_columns(r.row_hash()).collect().lazy()
    latent = hashed.with_columns(_latent(r)).collect().lazy()
    frame = (
        latent.with_columns(_observed(r))
        .with_columns(
            pl.concat_str(pl.lit(f"syn{seed}-"), pl.col("_idx").cast(pl.String).str.zfill(7)).alias(
                "case_id"
            )
        )
        .collect()
    )
    lazy = frame.lazy()
    known = symptom_ids()  # only ids the case format accepts
    symptoms = _flags(
        lazy,
        seed,
        "symptom",
        "symptom",
        {s: pl.lit(p) for s, p in _SYMPTOMS.items() if s in known},
    )
    # one at a time: collect_all runs them concurrently, which costs more on two cores
    return _Draw(
        frame,
        _lesions(lazy, seed).collect(),
        _markers(lazy, seed).collect(),
        _extrahepatic(lazy, seed).collect(),
        symptoms.collect(),
        _investigations(lazy, seed).collect(),
        _programmes(lazy, seed).collect(),
    )


# --- columnar output --------------------------------------------------------------------------


def _latest(markers: pl.LazyFrame, name: str, alias: str, uln_alias: str) -> pl.LazyFrame:
    """The most recent value of one marker per case (undated values count as oldest)."""
    return (
        markers.filter(pl.col("marker") == name)
        .group_by("_idx")
        .agg(
            pl.col("_c").sort_by("day", nulls_last=False).last().alias(alias),
            pl.col("_c_uln").sort_by("day", nulls_last=False).last().alias(uln_alias),
        )
    )


def _conform(frame: pl.LazyFrame, schema: Mapping[str, pl.DataType]) -> list[pl.Expr]:
    """The columns of ``schema`` with their types; any the generator does not make are unknown
    (so the generator keeps working while the feature catalog grows)."""
    made = set(frame.collect_schema().names())
    return [
        pl.col(name).cast(dtype) if name in made else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in schema.items()
    ]


def _spread(n: int, grouped: pl.DataFrame) -> list[pl.Series]:
    """Per-case columns from a frame with a row per case that has any (keyed by ``_idx``):
    each value put at its case's position, null elsewhere (no join over the wide case table)."""
    idx = grouped["_idx"]
    return [
        pl.repeat(None, n, dtype=grouped[name].dtype, eager=True)
        .alias(name)
        .scatter(idx, grouped[name])
        for name in grouped.columns
        if name != "_idx"
    ]


def generate_cohort(n: int, seed: int) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """``n`` synthetic cases as a case table and child tables, typed as ``cohort.engine`` reads.

    The case table has ``case_id`` and every base feature column (``CASE_SCHEMA``); the child
    tables (``CHILD_SCHEMAS``) are keyed by ``case_id``. Deterministic for ``(n, seed)``.
    """
    draw = _draw(n, seed)
    markers = draw.markers.lazy().with_columns(
        _tidy(pl.col("_v")).alias("_c"), _tidy(pl.col("_uln")).alias("_c_uln")
    )
    canonical = [
        _canonical(field, kind, units).alias(f"_c_{field}") for field, kind, units in _MEASURED
    ]
    bilirubin = pl.col("_c_bilirubin")
    ehd_sites = (
        draw.extrahepatic.lazy()
        .group_by("_idx")
        .agg(
            pl.len().alias("_sites"),
            pl.when(pl.col("controllable").is_null().any())
            .then(None)
            .otherwise(pl.col("controllable").all())
            .alias("_sites_controllable"),
        )
    )
    n = draw.cases.height
    per_case = [
        *_spread(n, _latest(markers, "cea", "cea_ng_ml", "cea_uln_ng_ml").collect()),
        *_spread(n, _latest(markers, "ca19_9", "ca19_9_u_ml", "_ca19_9_uln").collect()),
        *_spread(n, ehd_sites.collect()),
    ]
    cases = (
        draw.cases.lazy()
        .with_columns(canonical)
        .with_columns(per_case)
        .with_columns(
            (pl.col("sex") == "female").alias("female"),
            pl.col("_c_height").alias("height_cm"),
            pl.col("_c_weight").alias("weight_kg"),
            bilirubin.alias("bilirubin_mg_dl"),
            _tidy(bilirubin * 17.1).alias("bilirubin_umol_l"),
            pl.when(bilirubin.is_not_null())
            .then(
                _tidy(
                    pl.col("_uln_bilirubin")
                    * _table([_factor("bilirubin", u.name) for u in _BILIRUBIN_UNITS]).gather(
                        pl.col("_u_bilirubin").to_physical()
                    )
                )
            )
            .alias("bilirubin_uln_mg_dl"),
            pl.col("_c_albumin").alias("albumin_g_dl"),
            _tidy(pl.col("_c_albumin") * 10.0).alias("albumin_g_l"),
            pl.col("_c_inr").alias("inr"),
            pl.col("_c_creatinine").alias("creatinine_mg_dl"),
            pl.col("_c_sodium").alias("sodium_mmol_l"),
            pl.col("_c_platelets").alias("platelets_10e9_l"),
            pl.col("_c_alt").alias("alt_u_l"),
            pl.col("_c_ast").alias("ast_u_l"),
            pl.col("_c_alp").alias("alp_u_l"),
            pl.when(pl.col("_c_ast").is_not_null()).then(pl.col("_uln_ast")).alias("ast_uln_u_l"),
            pl.col("_c_flr_volume").alias("flr_volume_ml"),
            pl.col("_c_total_liver_volume").alias("tlv_measured_ml"),
            pl.coalesce(pl.col("_ehd_present"), pl.when(pl.col("_sites") > 0).then(True)).alias(
                "extrahepatic_disease"
            ),
            pl.coalesce(pl.col("_ehd_controllable"), pl.col("_sites_controllable")).alias(
                "extrahepatic_controllable"
            ),
        )
    )
    cases = cases.select(_conform(cases, CASE_SCHEMA))

    def keyed(frame: pl.LazyFrame, table: str) -> pl.LazyFrame:
        with_ids = frame.with_columns(pl.lit(draw.cases["case_id"]).gather(pl.col("_idx")))
        return with_ids.select(_conform(with_ids, CHILD_SCHEMAS[table]))

    mask = pl.col("_mask")
    lesions = draw.lesions.lazy().with_columns(
        _tidy(
            pl.col("_v_diameter") * pl.when(pl.col("_u_diameter") == "mm").then(0.1).otherwise(1.0)
        ).alias("diameter_cm"),
        ((mask & 0b11110000) != 0).alias("right_liver"),
        ((mask & 0b00001110) != 0).alias("left_liver"),
        ((mask & 1) != 0).alias("caudate"),
        mask.bitwise_count_ones().cast(pl.Int64).alias("segment_count"),
        *(((mask & bit) != 0).alias(f"segment_{s}") for s, bit in _SEGMENT_BIT.items()),
    )
    made = {
        "lesions": lesions,
        "markers": markers.rename({"_c": "value", "_c_uln": "uln"}),
        "extrahepatic": draw.extrahepatic.lazy(),
        "symptoms": draw.symptoms.lazy(),
        "investigations": draw.investigations.lazy(),
        "programmes": draw.programmes.lazy(),
    }
    children = {
        table: keyed(frame, table) for table, frame in made.items() if table in CHILD_SCHEMAS
    }
    # a child table this generator does not know (yet) is empty
    return cases.collect(), {
        table: children[table].collect() if table in children else pl.DataFrame(schema=schema)
        for table, schema in CHILD_SCHEMAS.items()
    }


# --- case documents ---------------------------------------------------------------------------

_EPOCH = dt.date(1970, 1, 1)


def _date(day: int | float | None) -> str | None:
    return None if day is None else (_EPOCH + dt.timedelta(days=int(day))).isoformat()


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _prune(value: Any) -> Any:
    """Drop unknown (None) fields and empty sections, as a person writing the case would."""
    if isinstance(value, dict):
        out = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _measured_doc(row: Mapping[str, Any], field: str, uln: str | None = None) -> Any:
    value = row[f"_v_{field}"]
    if value is None:
        return None
    doc: dict[str, Any] = {"value": _number(value), "unit": row[f"_u_{field}"]}
    if uln is not None and row.get(uln) is not None:
        doc["uln"] = _number(row[uln])
    return doc


def _grouped(frame: pl.DataFrame) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for record in frame.to_dicts():
        out.setdefault(int(record["_idx"]), []).append(record)
    return out


def _document(
    row: Mapping[str, Any], children: Mapping[str, Mapping[int, list[dict[str, Any]]]]
) -> dict[str, Any]:
    idx = int(row["_idx"])
    lesions = [
        {
            "id": f"L{int(les['_j']) + 1}",
            "segments": [
                s
                for s, bit in _SEGMENT_BIT.items()
                if les["_mask"] is not None and les["_mask"] & bit
            ],
            "diameter": None
            if les["_v_diameter"] is None
            else {"value": _number(les["_v_diameter"]), "unit": les["_u_diameter"]},
            **{
                k: les[k]
                for k in (
                    "vessel_relation",
                    "near_large_vessel",
                    "bile_duct_relation",
                    "near_diaphragm",
                    "near_bowel_or_gallbladder",
                    "ablation_margin_achievable",
                )
            },
        }
        for les in children["lesions"].get(idx, [])
    ]
    markers = [
        {
            "marker": m["marker"],
            "value": _number(m["_v"]),
            "unit": m["_u"],
            "date": _date(m["day"]),
            "uln": None if m["_uln"] is None else _number(m["_uln"]),
        }
        for m in children["markers"].get(idx, [])
    ]
    lines = row["systemic_lines"]
    doc = {
        "schema_version": "1.0",
        "case_id": row["case_id"],
        "as_of": _date(row["as_of_day"]),
        "patient": {
            "age_years": row["age_years"],
            "sex": row["sex"],
            "height": _measured_doc(row, "height"),
            "weight": _measured_doc(row, "weight"),
        },
        "primary": {
            "site": row["primary_site"],
            "histology_confirmed": row["histology_confirmed"],
            "side": row["colorectal_side"],
            "node_positive": row["node_positive_primary"],
            "grade": row["net_grade"],
            "ki67_percent": row["ki67_percent"],
            "diagnosis_date": _date(row["primary_diagnosis_day"]),
            "treatment_date": _date(row["primary_treatment_day"]),
            "resected": row["primary_resected"],
            "controlled": row["primary_controlled"],
            "symptomatic": row["primary_symptomatic"],
            "hormone_syndrome": row["hormone_syndrome"],
        },
        "liver": {
            "lesions": lesions,
            "lesion_count": row["lesion_count_reported"],
            "distribution": row["distribution_reported"],
            "tumour_liver_percent": row["tumour_liver_percent"],
            "liver_dominant": row["liver_dominant_reported"],
            "detection_date": _date(row["liver_detection_day"]),
            "timing": row["timing_reported"],
            "biopsy_confirmed": row["liver_biopsy_confirmed"],
        },
        "extrahepatic": {
            "present": row["_ehd_present"],
            "sites": [
                {"site": s["site"], "controllable": s["controllable"]}
                for s in children["extrahepatic"].get(idx, [])
            ],
            "controllable": row["_ehd_controllable"],
        },
        "labs": {
            "bilirubin": _measured_doc(row, "bilirubin", "_uln_bilirubin"),
            "albumin": _measured_doc(row, "albumin"),
            "inr": _measured_doc(row, "inr"),
            "creatinine": _measured_doc(row, "creatinine"),
            "sodium": _measured_doc(row, "sodium"),
            "platelets": _measured_doc(row, "platelets"),
            "alt": _measured_doc(row, "alt"),
            "ast": _measured_doc(row, "ast", "_uln_ast"),
            "alp": _measured_doc(row, "alp"),
        },
        "liver_function": {
            "ascites": row["ascites"],
            "encephalopathy_grade": row["encephalopathy_grade"],
            "dialysis": row["dialysis"],
        },
        "tumour_markers": markers,
        "biomarkers": {
            name: row[name]
            for name in (
                "kras",
                "nras",
                "braf_v600e",
                "mmr",
                "her2",
                "er",
                "pr",
                "brca",
                "egfr",
                "alk",
                "ros1",
                "kras_g12c",
                "pd_l1_percent",
                "kit_pdgfra",
                "sstr",
                "hla_a0201",
            )
        },
        "performance": {
            "ecog": row["ecog"],
            "karnofsky": row["karnofsky"],
            "fit_for_major_surgery": row["fit_for_major_surgery"],
        },
        "background_liver": {
            "cirrhosis": row["cirrhosis"],
            "fibrosis": row["fibrosis"],
            "steatosis": row["steatosis"],
            "portal_hypertension": row["portal_hypertension"],
            "cholestatic_disease": row["cholestatic_liver_disease"],
            "prior_hepatectomy": row["prior_hepatectomy"],
            "extensive_chemotherapy": row["extensive_chemotherapy"],
        },
        "response": {
            "status": row["response_status"],
            "disease_control_months": row["disease_control_months"],
        },
        "volumetry": {
            "flr_volume": _measured_doc(row, "flr_volume"),
            "total_liver_volume": _measured_doc(row, "total_liver_volume"),
            "sflr_percent": row["sflr_reported_percent"],
            "pve_done": row["pve_done"],
            "pve_date": _date(row["pve_day"]),
            "sflr_pre_pve_percent": row["sflr_pre_pve_percent"],
            "sflr_post_pve_percent": row["sflr_post_pve_percent"],
            "post_pve_scan_date": _date(row["post_pve_volumetry_day"]),
        },
        "sirt_workup": {
            "lung_shunt_percent": row["lung_shunt_percent"],
            "nontarget_flow_excluded": row["nontarget_flow_excluded"],
        },
        "investigations": [
            {"type": i["investigation"], "date": _date(i["day"])}
            for i in children["investigations"].get(idx, [])
        ],
        "symptoms": [s["symptom"] for s in children["symptoms"].get(idx, [])],
        "acute_problems": [] if row["acute_problem"] is None else [row["acute_problem"]],
        "care": {
            "programmes": [p["programme"] for p in children["programmes"].get(idx, [])],
            "discussed_at_hpb_mdt": row["discussed_at_hpb_mdt"],
            "wants_active_treatment": row["wants_active_treatment"],
        },
    }
    pruned: dict[str, Any] = _prune(doc)
    if lines is not None:  # given explicitly, even when empty (none)
        pruned["prior_treatments"] = {
            "systemic": [
                {"regimen_class": _REGIMENS[(idx + k) % len(_REGIMENS)]} for k in range(int(lines))
            ]
        }
    pruned.setdefault("primary", {"site": row["primary_site"]})
    return pruned


def generate_cases(n: int, seed: int) -> list[dict[str, Any]]:
    """The same ``n`` patients as :func:`generate_cohort`, as case documents (JSON-ready dicts).

    Quantities come in a mix of units (mg/dL and µmol/L, mm and cm, kg and lb, ...); unknown
    fields are left out. Meant for tests and examples (small ``n``): it builds Python dicts.
    """
    draw = _draw(n, seed)
    children = {
        "lesions": _grouped(draw.lesions),
        "markers": _grouped(draw.markers),
        "extrahepatic": _grouped(draw.extrahepatic),
        "symptoms": _grouped(draw.symptoms),
        "investigations": _grouped(draw.investigations),
        "programmes": _grouped(draw.programmes),
    }
    return [_document(row, children) for row in draw.cases.to_dicts()]
