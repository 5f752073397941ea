"""Synthetic case documents: seedable, plausible liver-metastasis referrals.

:func:`generate_documents` makes ``n`` case documents (JSON-ready dicts in the case format of
``case.model``); :func:`generate_cases` validates them into :class:`~livermets.case.model.Case`.
This module only writes documents: it knows nothing of feature columns. Columns are made from
the documents by the one case-to-columns mapping, ``features.flatten`` (see
``synthetic.cohort``).

The patients are drawn column-wise in polars (``synthetic.streams``: every random number is a
hash of seed, row and stream name), so case ``i`` of a seed is the same whatever ``n`` is. Each
draw column is named by its path in the case document (``"labs.bilirubin.value"``); the
documents are those columns nested. Vocabularies, symptom ids, units and conversion factors
come from the case format (``case.model``, ``case.units``, ``knowledge/``): every category the
generator weights is checked against the field it fills, and quantities are drawn in the
canonical unit and written in a documented unit using the case format's own factors.

The distributions are plausible, not fitted: primaries weighted like liver-metastasis referral
series (colorectal about half), geometric-like lesion counts with a long tail, log-normal sizes,
labs mostly normal with a tail of abnormal values, biomarker frequencies by primary, and every
field missing at a plausible rate. Nothing clinical is decided here.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl
from pydantic import BaseModel

from livermets.case.model import (
    SCHEMA_VERSION,
    Biomarkers,
    Care,
    Case,
    ExtrahepaticSite,
    Investigation,
    Lesion,
    Liver,
    LiverFunction,
    Patient,
    Primary,
    Response,
    TumourMarker,
    symptom_ids,
)
from livermets.case.units import quantity_kinds
from livermets.features.flatten import LEFT_LIVER_SEGMENTS, RIGHT_LIVER_SEGMENTS
from livermets.synthetic.streams import CHILD_STRIDE, Random, either, table

# --- the case format's vocabularies -------------------------------------------------------------


@cache
def accepted(model: type[BaseModel], field: str) -> tuple[Any, ...]:
    """The values a ``Literal`` field of the case format accepts (inside optional and list)."""
    found: list[Any] = []

    def walk(annotation: Any) -> None:
        if typing.get_origin(annotation) is typing.Literal:
            found.extend(typing.get_args(annotation))
        else:
            for arg in typing.get_args(annotation):
                walk(arg)

    walk(model.model_fields[field].annotation)
    if not found:
        raise TypeError(f"{model.__name__}.{field} is not a vocabulary field")
    return tuple(found)


def weights_for(
    model: type[BaseModel], field: str, weights: Mapping[Any, float]
) -> dict[Any, float]:
    """The generator's weights of a field's values, checked against the case format."""
    unknown = set(weights) - set(accepted(model, field))
    if unknown:
        raise ValueError(f"{model.__name__}.{field} does not accept {sorted(map(str, unknown))}")
    return dict(weights)


def _checked(model: type[BaseModel], field: str, *values: Any) -> tuple[Any, ...]:
    """``values``, checked to be accepted by the field."""
    weights_for(model, field, dict.fromkeys(values, 1.0))
    return values


def _yes_no(model: type[BaseModel], field: str, yes: str, no: str) -> tuple[str, str]:
    _checked(model, field, yes, no)
    return yes, no


def _mutation(condition: pl.Expr) -> pl.Expr:
    return either(condition, *_yes_no(Biomarkers, "kras", "mutant", "wild_type"))


def _expression(condition: pl.Expr) -> pl.Expr:
    return either(condition, *_yes_no(Biomarkers, "er", "positive", "negative"))


def _by(mapping: Mapping[str, float], default: float) -> pl.Expr:
    """A per-primary number, e.g. a probability that depends on the primary site."""
    sites = accepted(Primary, "site")
    weights_for(Primary, "site", mapping)
    values = [float(mapping.get(site, default)) for site in sites]
    return pl.lit(pl.Series(values, dtype=pl.Float64)).gather(pl.col("primary.site").to_physical())


def _site(name: str) -> pl.Expr:
    """Whether the primary is ``name`` (checked: polars would compare an unknown one as false)."""
    _checked(Primary, "site", name)
    return pl.col("primary.site") == name


def _round(expr: pl.Expr, decimals: int) -> pl.Expr:
    return expr.round(decimals)


def _status(r: Random, name: str, p: float | pl.Expr, field: str, yes: str, no: str) -> pl.Expr:
    """A biomarker status: ``yes`` with probability ``p``, else ``no``."""
    return either(r.chance(name, p), *_yes_no(Biomarkers, field, yes, no))


def _day(expr: pl.Expr) -> pl.Expr:
    """A day number (polars counts dates in days from 1970-01-01) as an ISO date."""
    return expr.cast(pl.Int32).cast(pl.Date).dt.to_string("%Y-%m-%d")


# --- the population -----------------------------------------------------------------------------

# Weights and probabilities are the generator's own (plausible, not fitted); the values they
# weight are checked against the case format when the cohort is drawn (``weights_for``).
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
# extrahepatic site: (weight as the first site listed, P(controllable))
_SITES: dict[str, tuple[float, float]] = {
    "lung": (0.35, 0.6),
    "lymph_nodes": (0.25, 0.4),
    "peritoneum": (0.13, 0.3),
    "bone": (0.10, 0.2),
    "brain": (0.02, 0.3),
    "adrenal": (0.04, 0.5),
    "primary_site_recurrence": (0.05, 0.5),
    "other": (0.06, 0.3),
}
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
    # marker: (P(measured) by primary, median value, decimals, ULN), in the canonical unit
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
_MARKER_OTHER_UNIT = (
    "µg/L"  # written instead of the canonical unit where the case format accepts it
)
_ASCITES = {"none": 0.90, "mild": 0.07, "moderate_severe": 0.03}
_REGIMENS = (  # free text in the case format (regimen class, no doses)
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
# Couinaud segments: where a lesion's first segment falls, and a neighbour to spread a large
# lesion into (8 -> 4 crosses the midline). Which segments make the right and left liver is
# ``features.flatten``'s (the generator only restricts its draw to them).
_SEGMENT_WEIGHTS = {1: 0.03, 2: 0.08, 3: 0.08, 4: 0.15, 5: 0.14, 6: 0.15, 7: 0.15, 8: 0.22}
_NEXT_SEGMENT = {1: 8, 2: 3, 3: 4, 4: 8, 5: 6, 6: 7, 7: 8, 8: 4}
_RIGHT = {s: w for s, w in _SEGMENT_WEIGHTS.items() if s in RIGHT_LIVER_SEGMENTS}
_LEFT = {s: w for s, w in _SEGMENT_WEIGHTS.items() if s in LEFT_LIVER_SEGMENTS}
_SEGMENT_BIT = {s: 1 << (s - 1) for s in _SEGMENT_WEIGHTS}  # a lesion's segments as bits
_DAY_2023: int = pl.Series([dt.date(2023, 1, 1)]).cast(pl.Int32).item()  # polars' day number
# a single lesion of bilobar disease also spans the most frequent left-liver segment
_BRIDGE_SEGMENT = max(_LEFT, key=_LEFT.__getitem__)


@dataclass(frozen=True)
class _Unit:
    name: str
    weight: float
    decimals: int


def _factor(kind: str, unit: str) -> float:
    """The case format's factor from ``unit`` to the canonical unit of ``kind``."""
    return quantity_kinds()[kind].factors[unit]


def _canonical_unit(kind: str, decimals: int) -> tuple[_Unit, ...]:
    return (_Unit(quantity_kinds()[kind].canonical, 1.0, decimals),)


def _measure(
    r: Random,
    name: str,
    path: str,
    kind: str,
    latent: pl.Expr,
    units: Sequence[_Unit],
    missing: float,
) -> list[pl.Expr]:
    """A measured quantity as documented at ``path``: ``value`` in its ``unit``.

    ``latent`` is in the canonical unit; it is written in a unit drawn from ``units``,
    converted with the case format's factor (the case model converts it back on the way in).
    """
    unit = r.choice(f"{name}.unit", {u.name: u.weight for u in units}).cast(pl.String)
    return [
        r.missing(name, _written(kind, latent, unit, units), missing).alias(f"{path}.value"),
        unit.alias(f"{path}.unit"),
    ]


def _written(kind: str, latent: pl.Expr, unit: pl.Expr, units: Sequence[_Unit]) -> pl.Expr:
    """A quantity in the canonical unit of ``kind`` as written in ``unit`` (one of ``units``),
    with the case format's factor, rounded to that unit's decimals."""
    value: Any = None
    for u in units:
        in_unit = _round(latent / _factor(kind, u.name), u.decimals)
        value = (
            pl.when(unit == u.name).then(in_unit)
            if value is None
            else value.when(unit == u.name).then(in_unit)
        )
    return value.otherwise(None)  # type: ignore[no-any-return]


_BILIRUBIN_UNITS = (_Unit("mg/dL", 0.6, 1), _Unit("µmol/L", 0.4, 0))
_ALBUMIN_UNITS = (_Unit("g/dL", 0.5, 1), _Unit("g/L", 0.5, 0))
_CREATININE_UNITS = (_Unit("mg/dL", 0.6, 2), _Unit("µmol/L", 0.4, 0))
_WEIGHT_UNITS = (_Unit("kg", 0.92, 1), _Unit("lb", 0.08, 0))
_HEIGHT_UNITS = (_Unit("cm", 0.95, 0), _Unit("m", 0.05, 2))
_BILIRUBIN_ULN_MG_DL = 1.2  # a laboratory's ULN, written in the unit of the value
_AST_ULN_U_L = 40.0


def _latent(r: Random) -> list[pl.Expr]:
    """Stage 1: the patient as they are (no missing data yet)."""
    return [
        r.choice("primary", weights_for(Primary, "site", PRIMARY_WEIGHTS))
        .cast(pl.Enum(accepted(Primary, "site")))
        .alias("primary.site"),
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


def _observed(r: Random) -> list[pl.Expr]:
    """Stage 2: what the referral records, with missing data."""
    colorectal = _site("colorectal")
    net = _site("neuroendocrine")
    ecog = pl.col("_ecog")
    female = r.chance("sex", _by(_FEMALE_SHARE, 0.42))
    sex = either(female, *_yes_no(Patient, "sex", "female", "male"))
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
    response = r.choice("response", weights_for(Response, "status", responders))
    lines = pl.col("_lines")
    ehd = r.chance("ehd", _by(_EXTRAHEPATIC_SHARE, 0.4))
    ehd_listed = ehd & r.chance("ehd.listed", 0.8)
    bilirubin_doc = _measure(
        r, "bilirubin", "labs.bilirubin", "bilirubin", bilirubin, _BILIRUBIN_UNITS, 0.10
    )
    out: list[pl.Expr] = [
        r.missing("age", pl.col("_age"), 0.03).alias("patient.age_years"),
        r.missing("sex", sex, 0.02).alias("patient.sex"),
        *_measure(r, "height", "patient.height", "height", height, _HEIGHT_UNITS, 0.30),
        *_measure(r, "weight", "patient.weight", "weight", weight, _WEIGHT_UNITS, 0.20),
        r.missing(
            "side",
            pl.when(colorectal).then(
                r.choice("side.value", weights_for(Primary, "side", {"left": 0.7, "right": 0.3}))
            ),
            0.12,
        ).alias("primary.side"),
        r.missing("nodes", r.chance("nodes.value", 0.6), 0.35).alias("primary.node_positive"),
        r.missing(
            "grade",
            pl.when(net).then(
                r.choice("grade.value", weights_for(Primary, "grade", {1: 0.35, 2: 0.5, 3: 0.15}))
            ),
            0.2,
        ).alias("primary.grade"),
        r.missing(
            "ki67",
            pl.when(net).then(_round(r.lognormal("ki67.value", 5.0, 1.0).clip(0.5, 90.0), 0)),
            0.3,
        ).alias("primary.ki67_percent"),
        r.missing("resected", resected, 0.12).alias("primary.resected"),
        r.missing("controlled", resected | r.chance("controlled.value", 0.4), 0.3).alias(
            "primary.controlled"
        ),
        r.missing("symptomatic", r.chance("symptomatic.value", 0.1), 0.35).alias(
            "primary.symptomatic"
        ),
        r.missing("hormone", pl.when(net).then(r.chance("hormone.value", 0.3)), 0.2).alias(
            "primary.hormone_syndrome"
        ),
        r.missing("histology", r.chance("histology.value", 0.97), 0.08).alias(
            "primary.histology_confirmed"
        ),
        r.missing("dx.day", diagnosis, 0.25).alias("primary.diagnosis_date"),
        r.missing(
            "tx.day",
            pl.when(resected).then(diagnosis + r.uniform("tx.delay", 7, 60).floor().cast(pl.Int64)),
            0.35,
        ).alias("primary.treatment_date"),
        r.missing("detection.day", detection, 0.2).alias("liver.detection_date"),
        r.missing(
            "timing",
            either(
                pl.col("_synchronous"), *_yes_no(Liver, "timing", "synchronous", "metachronous")
            ),
            0.3,
        ).alias("liver.timing"),
        n_items.alias("_n_items"),
        pl.when(count_given).then(many).alias("liver.lesion_count"),
        r.missing(
            "distribution",
            either(pl.col("_lobe") == "B", *_yes_no(Liver, "distribution", "bilobar", "unilobar")),
            0.4,
        ).alias("liver.distribution"),
        r.missing("liver_dominant", ~ehd | r.chance("liver_dominant.value", 0.5), 0.65).alias(
            "liver.liver_dominant"
        ),
        r.missing(
            "tlp",
            _round(
                (r.lognormal("tlp.value", 8.0, 0.7) * many.cast(pl.Float64).sqrt()).clip(1, 90), 0
            ),
            0.75,
        ).alias("liver.tumour_liver_percent"),
        r.missing("liver.biopsy", r.chance("liver.biopsy.value", 0.4), 0.5).alias(
            "liver.biopsy_confirmed"
        ),
        # extrahepatic: "present" as written, the sites listed, "controllable" as written
        pl.when(ehd)
        .then(r.missing("ehd.present", pl.lit(True), 0.15))
        .otherwise(r.missing("ehd.absent", pl.lit(False), 0.15))
        .alias("extrahepatic.present"),
        ehd_listed.alias("_ehd_listed"),
        pl.when(ehd)
        .then(r.missing("ehd.controllable", r.chance("ehd.controllable.value", 0.45), 0.6))
        .alias("extrahepatic.controllable"),
        *bilirubin_doc,
        pl.when(r.chance("bilirubin.uln", 0.4))
        .then(
            _written("bilirubin", pl.lit(_BILIRUBIN_ULN_MG_DL), bilirubin_doc[1], _BILIRUBIN_UNITS)
        )
        .alias("labs.bilirubin.uln"),
        *_measure(r, "albumin", "labs.albumin", "albumin", albumin, _ALBUMIN_UNITS, 0.15),
        *_measure(r, "inr", "labs.inr", "inr", inr, _canonical_unit("inr", 2), 0.25),
        *_measure(
            r,
            "creatinine",
            "labs.creatinine",
            "creatinine",
            r.lognormal("creatinine", 0.85, 0.3).clip(0.3, 12.0),
            _CREATININE_UNITS,
            0.10,
        ),
        *_measure(
            r,
            "sodium",
            "labs.sodium",
            "sodium",
            r.normal("sodium", 139.0, 3.0).clip(118.0, 155.0),
            _canonical_unit("sodium", 0),
            0.12,
        ),
        *_measure(
            r,
            "platelets",
            "labs.platelets",
            "platelets",
            pl.when(pl.col("_cirrhosis"))
            .then(r.lognormal("platelets.cirrhosis", 110.0, 0.4))
            .otherwise(r.lognormal("platelets", 240.0, 0.35))
            .clip(10.0, 900.0),
            _canonical_unit("platelets", 0),
            0.10,
        ),
        *_measure(
            r,
            "alt",
            "labs.alt",
            "alt",
            r.lognormal("alt", 25.0, 0.5).clip(5.0, 1500.0),
            _canonical_unit("alt", 0),
            0.20,
        ),
        *_measure(
            r,
            "ast",
            "labs.ast",
            "ast",
            r.lognormal("ast", 28.0, 0.5).clip(5.0, 1500.0),
            _canonical_unit("ast", 0),
            0.25,
        ),
        pl.when(r.chance("ast.uln", 0.4)).then(_AST_ULN_U_L).alias("labs.ast.uln"),
        *_measure(
            r,
            "alp",
            "labs.alp",
            "alp",
            r.lognormal("alp", 110.0, 0.5).clip(20.0, 2500.0),
            _canonical_unit("alp", 0),
            0.25,
        ),
        r.missing(
            "ascites",
            pl.when(pl.col("_cirrhosis"))
            .then(
                r.choice(
                    "ascites.cirrhosis",
                    weights_for(
                        LiverFunction, "ascites", {"none": 0.6, "mild": 0.3, "moderate_severe": 0.1}
                    ),
                )
            )
            .otherwise(r.choice("ascites.value", weights_for(LiverFunction, "ascites", _ASCITES))),
            0.35,
        ).alias("liver_function.ascites"),
        r.missing(
            "encephalopathy", r.choice("encephalopathy.value", {0: 0.97, 1: 0.02, 2: 0.01}), 0.4
        ).alias("liver_function.encephalopathy_grade"),
        r.missing("dialysis", r.chance("dialysis.value", 0.005), 0.5).alias(
            "liver_function.dialysis"
        ),
        pl.when(ecog_given).then(ecog).alias("performance.ecog"),
        pl.when(
            pl.when(ecog_given)
            .then(r.chance("kps.also", 0.15))
            .otherwise(r.chance("kps.instead", 0.4))
        )
        .then(kps.clip(10, 100))
        .alias("performance.karnofsky"),
        r.missing(
            "fit",
            (ecog <= 1) & (pl.col("_age") < 80) & r.chance("fit.value", 0.9)
            | (ecog == 2) & r.chance("fit.ecog2", 0.3),
            0.45,
        ).alias("performance.fit_for_major_surgery"),
        r.missing("cirrhosis", pl.col("_cirrhosis"), 0.3).alias("background_liver.cirrhosis"),
        r.missing("fibrosis", pl.col("_cirrhosis") | r.chance("fibrosis.value", 0.06), 0.45).alias(
            "background_liver.fibrosis"
        ),
        r.missing("steatosis", r.chance("steatosis.value", 0.25), 0.45).alias(
            "background_liver.steatosis"
        ),
        r.missing(
            "portal_hypertension", pl.col("_cirrhosis") & r.chance("ph.value", 0.5), 0.5
        ).alias("background_liver.portal_hypertension"),
        r.missing("cholestatic", r.chance("cholestatic.value", 0.005), 0.5).alias(
            "background_liver.cholestatic_disease"
        ),
        r.missing("prior_hepatectomy", r.chance("prior_hepatectomy.value", 0.12), 0.2).alias(
            "background_liver.prior_hepatectomy"
        ),
        r.missing(
            "extensive_chemo", (lines >= 2) | r.chance("extensive_chemo.value", 0.1), 0.4
        ).alias("background_liver.extensive_chemotherapy"),
        *_biomarkers(r),
        *_measure(
            r,
            "flr_volume",
            "volumetry.flr_volume",
            "liver_volume",
            pl.when(volumetry).then(tlv * flr_fraction),
            _canonical_unit("liver_volume", 0),
            0.1,
        ),
        *_measure(
            r,
            "total_liver_volume",
            "volumetry.total_liver_volume",
            "liver_volume",
            pl.when(volumetry).then(tlv),
            _canonical_unit("liver_volume", 0),
            0.4,
        ),
        pl.when(volumetry).then(r.missing("sflr", sflr, 0.6)).alias("volumetry.sflr_percent"),
        pl.when(volumetry).then(r.missing("pve.done", pve, 0.3)).alias("volumetry.pve_done"),
        pl.when(pve).then(r.missing("sflr.pre", sflr, 0.3)).alias("volumetry.sflr_pre_pve_percent"),
        pl.when(pve)
        .then(
            r.missing("sflr.post", _round((sflr * r.uniform("kgr", 1.1, 1.8)).clip(5, 95), 1), 0.3)
        )
        .alias("volumetry.sflr_post_pve_percent"),
        pl.when(pve).then(r.missing("pve.day", pve_day, 0.3)).alias("volumetry.pve_date"),
        pl.when(pve)
        .then(
            r.missing(
                "pve.scan",
                pve_day + r.uniform("pve.scan.delay", 21, 42).floor().cast(pl.Int64),
                0.3,
            )
        )
        .alias("volumetry.post_pve_scan_date"),
        pl.when(lines > 0)
        .then(r.missing("response.status", response, 0.15))
        .alias("response.status"),
        pl.when((lines > 0) & (response != _checked(Response, "status", "progression")[0]))
        .then(r.missing("dcm", _round(r.lognormal("dcm.value", 6.0, 0.6).clip(0.5, 120.0), 1), 0.5))
        .alias("response.disease_control_months"),
        pl.when(r.chance("sirt", 0.07))
        .then(_round(r.lognormal("lsf", 6.0, 0.6).clip(0.5, 40.0), 1))
        .alias("sirt_workup.lung_shunt_percent"),
        pl.when(r.chance("sirt.flow", 0.06))
        .then(r.chance("sirt.flow.value", 0.9))
        .alias("sirt_workup.nontarget_flow_excluded"),
        pl.when(pl.col("_acute"))
        .then(r.choice("acute.value", dict.fromkeys(accepted(Case, "acute_problems"), 1.0)))
        .alias("_acute_problem"),
        r.missing("mdt", r.chance("mdt.value", 0.69), 0.35).alias("care.discussed_at_hpb_mdt"),
        r.missing("wants", r.chance("wants.value", 0.95), 0.16).alias(
            "care.wants_active_treatment"
        ),
        r.missing("as_of", pl.col("_as_of"), 0.05).alias("as_of"),
        # an absent list of previous treatment is unknown; an empty one means none
        r.missing("systemic_lines", lines, 0.2).alias("_systemic_lines"),
        # child-row counts and per-case settings for the child tables
        pl.when(ehd_listed).then(r.choice("ehd.first", _site_weights())).alias("_ehd_first"),
        r.chance("diameter.mm", 0.3).alias("_mm"),
        r.lognormal("marker.trend", 1.0, 0.35).alias("_trend"),
        r.lognormal("marker.level", 1.0, 1.0).alias("_level"),
        r.chance("marker.uln", 0.5).alias("_marker_uln"),
        r.chance("marker.ug_l", 0.1).alias("_ug_l"),
    ]
    return out


def _biomarkers(r: Random) -> list[pl.Expr]:
    def tested(name: str, rates: Mapping[str, float], value: pl.Expr) -> pl.Expr:
        return pl.when(r.chance(f"{name}.tested", _by(rates, 0.0))).then(value)

    kras_rate = _by({"colorectal": 0.42, "pancreas": 0.9, "lung_nsclc": 0.3}, 0.1)
    kras_mutant = r.chance("kras.value", kras_rate)
    kras = _mutation(kras_mutant)
    ras_tested = {"colorectal": 0.75, "pancreas": 0.4, "lung_nsclc": 0.7}
    braf_rate = _by({"colorectal": 0.08, "melanoma_cutaneous": 0.45}, 0.02)
    braf = _mutation(~kras_mutant & r.chance("braf.value", braf_rate))
    mmr_rate = _by({"colorectal": 0.04, "uterus": 0.25, "stomach": 0.08}, 0.02)
    her2_pos = _by(
        {"breast": 0.2, "stomach": 0.18, "oesophagus": 0.18, "colorectal": 0.03},
        0.02,
    )
    her2 = table(_checked(Biomarkers, "her2", "negative", "low", "positive")).gather(
        pl.when(r.chance("her2.value", her2_pos))
        .then(2)
        .when(_site("breast") & r.chance("her2.low", 0.45))
        .then(1)
        .otherwise(0)
        .cast(pl.UInt32)
    )
    er = r.chance("er.value", 0.7)
    return [
        tested("kras", ras_tested, kras).alias("biomarkers.kras"),
        tested(
            "nras",
            ras_tested,
            _mutation(~kras_mutant & r.chance("nras.value", 0.07)),
        ).alias("biomarkers.nras"),
        tested(
            "braf", {"colorectal": 0.65, "melanoma_cutaneous": 0.9, "lung_nsclc": 0.5}, braf
        ).alias("biomarkers.braf_v600e"),
        tested(
            "mmr",
            {"colorectal": 0.7, "uterus": 0.8, "stomach": 0.4, "unknown_primary": 0.3},
            _status(r, "mmr.value", mmr_rate, "mmr", "dmmr_msi_high", "pmmr_mss"),
        ).alias("biomarkers.mmr"),
        tested(
            "her2", {"breast": 0.95, "stomach": 0.6, "oesophagus": 0.5, "colorectal": 0.2}, her2
        ).alias("biomarkers.her2"),
        tested("er", {"breast": 0.95}, _expression(er)).alias("biomarkers.er"),
        tested("pr", {"breast": 0.9}, _expression(er & r.chance("pr.value", 0.85))).alias(
            "biomarkers.pr"
        ),
        tested(
            "brca",
            {"breast": 0.35, "pancreas": 0.3, "ovary": 0.7, "prostate": 0.4},
            _status(r, "brca.value", 0.07, "brca", "mutant", "wild_type"),
        ).alias("biomarkers.brca"),
        tested(
            "egfr",
            {"lung_nsclc": 0.85},
            _mutation(~kras_mutant & r.chance("egfr.value", 0.2)),
        ).alias("biomarkers.egfr"),
        tested(
            "alk", {"lung_nsclc": 0.8}, _status(r, "alk.value", 0.05, "alk", "positive", "negative")
        ).alias("biomarkers.alk"),
        tested(
            "ros1",
            {"lung_nsclc": 0.7},
            _status(r, "ros1.value", 0.02, "ros1", "positive", "negative"),
        ).alias("biomarkers.ros1"),
        tested(
            "kras_g12c",
            {"lung_nsclc": 0.7, "colorectal": 0.5, "pancreas": 0.2},
            either(
                kras_mutant
                & r.chance("g12c.value", _by({"lung_nsclc": 0.4, "colorectal": 0.08}, 0.02)),
                "mutant",
                "wild_type",
            ),
        ).alias("biomarkers.kras_g12c"),
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
        ).alias("biomarkers.pd_l1_percent"),
        tested(
            "kit",
            {"gist": 0.75},
            _status(r, "kit.value", 0.85, "kit_pdgfra", "mutant", "wild_type"),
        ).alias("biomarkers.kit_pdgfra"),
        tested(
            "sstr",
            {"neuroendocrine": 0.7},
            _status(r, "sstr.value", 0.85, "sstr", "positive", "negative"),
        ).alias("biomarkers.sstr"),
        tested(
            "hla",
            {"melanoma_uveal": 0.6},
            _status(r, "hla.value", 0.45, "hla_a0201", "positive", "negative"),
        ).alias("biomarkers.hla_a0201"),
    ]


# --- child tables ---------------------------------------------------------------------------


def _child_random(seed: int) -> Random:
    return Random(seed, "_key", "_hk")


def _explode(cases: pl.LazyFrame, seed: int, count: pl.Expr, keep: Sequence[str]) -> pl.LazyFrame:
    """One row per (case, position ``_j``), hashed for the child's random streams."""
    return (
        cases.select("_idx", *keep, pl.int_ranges(0, count, dtype=pl.UInt64).alias("_j"))
        .explode("_j")
        .filter(pl.col("_j").is_not_null())
        .with_columns((pl.col("_idx") * CHILD_STRIDE + pl.col("_j")).alias("_key"))
        .with_columns(_child_random(seed).row_hash())
    )


def _bit(segment: pl.Expr) -> pl.Expr:
    return segment.replace_strict(_SEGMENT_BIT, return_dtype=pl.Int64)


_DIAMETER_UNITS = (_Unit("cm", 0.7, 1), _Unit("mm", 0.3, 0))


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
        .otherwise(r.choice("seg.any", _SEGMENT_WEIGHTS))
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
        | pl.when((lobe == "B") & (pl.col("_n_items") == 1))
        .then(_bit(pl.lit(_BRIDGE_SEGMENT)))
        .otherwise(zero)
    )
    involving = 0.04 + pl.when(d > 5).then(0.16).otherwise(0.0)
    u_vessel = r.u("vessel")
    vessel = table(_checked(Lesion, "vessel_relation", "involving", "abutting", "clear")).gather(
        (u_vessel >= involving).cast(pl.UInt32) + (u_vessel >= involving + 0.22).cast(pl.UInt32)
    )
    dome = ((s1 == 7) | (s1 == 8)).cast(pl.Float64) * 0.25 + 0.06
    cm, mm = (u.name for u in _DIAMETER_UNITS)
    unit = either(pl.col("_mm"), mm, cm).cast(pl.String)  # one unit for all lesions of a case
    ducts = weights_for(
        Lesion, "bile_duct_relation", {"clear": 0.85, "near": 0.1, "involving": 0.05}
    )
    return rows.with_columns(
        r.missing("segments", mask, 0.1).alias("_mask"),
        r.missing("diameter", _written("lesion_diameter", d, unit, _DIAMETER_UNITS), 0.08).alias(
            "diameter.value"
        ),
        unit.alias("diameter.unit"),
        r.missing("vessel", vessel, 0.3).alias("vessel_relation"),
        r.missing("near_vessel", r.chance("near_vessel.value", 0.35), 0.5).alias(
            "near_large_vessel"
        ),
        r.missing("duct", r.choice("duct.value", ducts), 0.4).alias("bile_duct_relation"),
        r.missing("diaphragm", r.chance("diaphragm.value", dome), 0.5).alias("near_diaphragm"),
        r.missing("bowel", r.chance("bowel.value", 0.1), 0.5).alias("near_bowel_or_gallbladder"),
        r.missing(
            "margin", r.chance("margin.value", pl.when(d <= 3).then(0.8).otherwise(0.3)), 0.6
        ).alias("ablation_margin_achievable"),
    )


def _markers(cases: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    """Tumour marker series: 1-6 dated values per marker measured, trending per case."""
    parts: list[pl.LazyFrame] = []
    _checked(TumourMarker, "marker", *_MARKERS)
    for marker, (rates, median, decimals, uln) in _MARKERS.items():
        rc = Random(seed)
        points = (
            pl.when(rc.chance(f"{marker}.measured", _by(rates, 0.0)))
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
        kind = quantity_kinds()[marker]
        units = [_Unit(kind.canonical, 1.0, decimals)]
        unit = pl.lit(kind.canonical)
        if _MARKER_OTHER_UNIT in kind.factors:  # for some cases (``_ug_l``)
            units.append(_Unit(_MARKER_OTHER_UNIT, 1.0, decimals))
            unit = either(pl.col("_ug_l"), _MARKER_OTHER_UNIT, kind.canonical).cast(pl.String)
        parts.append(
            rows.select(
                "_idx",
                pl.lit(marker).alias("marker"),
                _day(pl.when(~undated).then(day)).alias("date"),
                _written(marker, value.clip(0.0, 90000.0), unit, units).alias("value"),
                unit.alias("unit"),
                pl.when(pl.col("_marker_uln"))
                .then(_written(marker, pl.lit(uln), unit, units))
                .alias("uln"),
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
    r = Random(seed)
    parts = [
        cases.filter(r.chance(f"{name}.{item}", p)).select(
            "_idx", pl.lit(item).alias(column), *extra(item)
        )
        for item, p in probabilities.items()
    ]
    if not parts:
        return cases.select("_idx", pl.lit(None, dtype=pl.String).alias(column)).head(0)
    return pl.concat(parts).sort("_idx", maintain_order=True)


def _site_weights() -> dict[str, float]:
    return weights_for(ExtrahepaticSite, "site", {s: w for s, (w, _) in _SITES.items()})


def _extrahepatic(cases: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    r = Random(seed)
    listed = pl.col("_ehd_listed")
    first = pl.col("_ehd_first")
    probabilities = {
        site: listed & ((first == site) | r.chance(f"ehd.extra.{site}", 0.1))
        for site in _site_weights()
    }

    def controllable(site: str) -> list[pl.Expr]:
        known = r.chance(f"ehd.{site}.controllable.value", _SITES[site][1])
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
    special = {  # investigations that depend on the primary
        "ssr_imaging": _by({"neuroendocrine": 0.7}, 0.0),
        "colonoscopy": _by({"colorectal": 0.6}, 0.03),
        "mammogram": _by({"breast": 0.7}, 0.0),
        "endoscopy": _by({"stomach": 0.8, "oesophagus": 0.8}, 0.03),
        "brain_imaging": _by(
            {"lung_nsclc": 0.5, "lung_sclc": 0.5, "melanoma_cutaneous": 0.5}, 0.03
        ),
    }
    probabilities: dict[str, pl.Expr] = {
        name: special.get(name, pl.lit(p))
        for name, p in weights_for(Investigation, "type", _INVESTIGATIONS).items()
    }
    r = Random(seed)

    def day(item: str) -> list[pl.Expr]:
        ago = r.uniform(f"investigation.{item}.day", 0, 180).floor().cast(pl.Int64)
        when = r.missing(f"investigation.{item}.day", pl.col("_as_of") - ago, 0.15)
        return [_day(when).alias("date")]

    return _flags(cases, seed, "investigation", "type", probabilities, day)


def _programmes(cases: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    rates = {
        name: pl.lit(0.04 if name == _checked(Care, "programmes", "clinical_trial")[0] else 0.005)
        for name in accepted(Care, "programmes")
    }
    return _flags(cases, seed, "programme", "programme", rates)


def _symptoms(cases: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    unknown = set(_SYMPTOMS) - symptom_ids()
    if unknown:
        raise ValueError(f"not symptom ids of the case format: {sorted(unknown)}")
    return _flags(cases, seed, "symptom", "symptom", {s: pl.lit(p) for s, p in _SYMPTOMS.items()})


@dataclass(frozen=True)
class _Draw:
    """Every patient as documented: a column per document path, and child tables."""

    cases: pl.DataFrame
    children: dict[str, pl.DataFrame]  # document list path -> its items (keyed by ``_idx``)


def _draw(n: int, seed: int) -> _Draw:
    if n < 0:
        raise ValueError("n must be >= 0")
    r = Random(seed, "_idx")
    base = (
        pl.LazyFrame({"_idx": pl.Series([], dtype=pl.UInt64)})
        if n == 0
        else pl.select(pl.int_range(0, n, dtype=pl.UInt64).alias("_idx")).lazy()
    )
    # Each stage is materialised: left lazy, polars would inline the row hash into every
    # stream that reads it.
    hashed = base.with_columns(r.row_hash()).collect().lazy()
    latent = hashed.with_columns(_latent(r)).collect().lazy()
    frame = latent.with_columns(_observed(r)).with_columns(case_ids(seed, pl.col("_idx"))).collect()
    lazy = frame.lazy()
    # one at a time: collect_all runs them concurrently, which costs more on two cores
    children = {
        "liver.lesions": _lesions(lazy, seed).collect(),
        "tumour_markers": _markers(lazy, seed).collect(),
        "extrahepatic.sites": _extrahepatic(lazy, seed).collect(),
        "symptoms": _symptoms(lazy, seed).collect(),
        "investigations": _investigations(lazy, seed).collect(),
        "care.programmes": _programmes(lazy, seed).collect(),
    }
    dates = [c for c in frame.columns if c == "as_of" or c.endswith("_date")]
    return _Draw(frame.with_columns(_day(pl.col(c)) for c in dates), children)


def case_ids(seed: int, index: pl.Expr) -> pl.Expr:
    """The case id of the generated case at each ``index`` (``syn<seed>-0000042``)."""
    return pl.concat_str(pl.lit(f"syn{seed}-"), index.cast(pl.String).str.zfill(7)).alias("case_id")


# --- documents ---------------------------------------------------------------------------------


class _Nester:
    """Flat records of document paths (``"labs.bilirubin.value"``) as nested documents.

    Hidden draw columns (``_...``) are left out; so are unknown values, and the unit and ULN
    of a measured quantity without a value (as a person writing the case would). A section is
    made only when something is put in it, so no empty ones are left.
    """

    def __init__(self, columns: Sequence[str]) -> None:
        self._plan: list[tuple[str, tuple[str, ...], str | None]] = []
        for column in columns:
            if column.startswith("_"):
                continue
            parts = tuple(column.split("."))
            owner = ".".join((*parts[:-1], "value"))
            needs = owner if parts[-1] in ("unit", "uln") and owner in columns else None
            self._plan.append((column, parts, needs))

    def __call__(self, record: Mapping[str, Any]) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for column, parts, needs in self._plan:
            value = record[column]
            if value is None or (needs is not None and record[needs] is None):
                continue
            node = doc
            for part in parts[:-1]:
                node = node.get(part) or node.setdefault(part, {})
            node[parts[-1]] = value
        return doc


def _lesion(nest: _Nester, record: Mapping[str, Any]) -> dict[str, Any]:
    lesion = {"id": f"L{int(record['_j']) + 1}", **nest(record)}
    mask = record["_mask"]
    if mask is not None:
        lesion["segments"] = [s for s, bit in _SEGMENT_BIT.items() if mask & bit]
    return lesion


def _grouped(frame: pl.DataFrame) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for record in frame.to_dicts():
        out.setdefault(int(record["_idx"]), []).append(record)
    return out


def _put(doc: dict[str, Any], path: str, items: list[Any]) -> None:
    *parents, leaf = path.split(".")
    node = doc
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = items


def generate_documents(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` synthetic case documents (JSON-ready dicts in the case format), for ``seed``.

    Deterministic for the seed; document ``i`` is the same whatever ``n`` is. Quantities come
    in a mix of units (mg/dL and µmol/L, mm and cm, kg and lb, ...); unknown fields are left
    out. Validate them with :class:`~livermets.case.model.Case` (:func:`generate_cases`).
    """
    draw = _draw(n, seed)
    grouped = {path: _grouped(frame) for path, frame in draw.children.items()}
    nest = {path: _Nester(frame.columns) for path, frame in draw.children.items()}
    nest_case = _Nester(draw.cases.columns)
    documents: list[dict[str, Any]] = []
    for record in draw.cases.to_dicts():
        idx = int(record["_idx"])
        doc = {"schema_version": SCHEMA_VERSION, "case_id": record["case_id"], **nest_case(record)}

        rows = {path: by_case.get(idx, []) for path, by_case in grouped.items()}
        lists: dict[str, list[Any]] = {
            "liver.lesions": [_lesion(nest["liver.lesions"], x) for x in rows["liver.lesions"]],
            **{
                path: [nest[path](x) for x in rows[path]]
                for path in ("tumour_markers", "extrahepatic.sites", "investigations")
            },
            "symptoms": [x["symptom"] for x in rows["symptoms"]],
            "care.programmes": [x["programme"] for x in rows["care.programmes"]],
            "acute_problems": [record["_acute_problem"]] if record["_acute_problem"] else [],
        }
        for path, listed in lists.items():
            if listed:
                _put(doc, path, listed)
        lines = record["_systemic_lines"]
        if lines is not None:  # given explicitly, even when empty (none)
            regimens = [_REGIMENS[(idx + k) % len(_REGIMENS)] for k in range(int(lines))]
            _put(doc, "prior_treatments.systemic", [{"regimen_class": r} for r in regimens])
        documents.append(doc)
    return documents


def generate_cases(n: int, seed: int) -> list[Case]:
    """The documents of :func:`generate_documents`, validated (units converted) as cases."""
    return [Case.model_validate(doc) for doc in generate_documents(n, seed)]
