"""Every clinical score, bound to the feature columns of a case.

``SCORES`` is the single list the rest of the product reads: each :class:`ScoreSpec` holds the
expressions of one score (written once in the score modules) over the columns of
``features.catalog.CASE_FEATURES`` and the derived columns that exist before scores run
(``lesion_count``, ``largest_lesion_cm``, ``dfi_months``).
"""

from __future__ import annotations

from livermets.engine.expr import ChildTable, Expr, coalesce, col
from livermets.scores import body, liver_function, markers, tumour
from livermets.scores.common import ScoreParts
from livermets.scores.spec import ScoreSpec


def _spec(
    id: str,
    name: str,
    version: str,
    parts: ScoreParts,
    inputs: tuple[str, ...],
    unit: str,
    sources: tuple[str, ...],
    *,
    notes: tuple[str, ...] = (),
    unverified: tuple[str, ...] = (),
    applies_to: tuple[str, ...] = (),
    relevant: Expr | None = None,
    decimals: int | None = None,
) -> ScoreSpec:
    return ScoreSpec(
        id=id,
        name=name,
        version=version,
        value=parts.value,
        category=parts.category,
        inputs=inputs,
        unit=unit,
        sources=sources,
        details=dict(parts.details),
        notes=notes,
        unverified=unverified,
        applies_to=applies_to,
        relevant=relevant,
        decimals=decimals,
    )


def _c(name: str) -> Expr:
    return col(name)


_MELD_NOTE = (
    "Validated in cirrhosis and transplant waiting lists, not in metastatic disease: read it as "
    "background liver function / risk of hepatic decompensation, not transplant priority."
)

# the series is the markers child table (the latest value alone is cea_ng_ml / ca19_9_u_ml)
_MARKER_INPUTS = ("markers.marker", "markers.day", "markers.value", "markers.uln")
_MARKERS = ChildTable("markers")

_tbs = tumour.tumour_burden_score(_c("largest_lesion_cm"), _c("lesion_count"))

SCORES: tuple[ScoreSpec, ...] = (
    _spec(
        "child_pugh",
        "Child-Pugh",
        "Pugh 1973, INR; bilirubin 2.0/3.0, albumin 2.8/3.5, INR 1.7/2.3 score 2 points",
        liver_function.child_pugh(
            _c("bilirubin_mg_dl"),
            _c("albumin_g_dl"),
            _c("inr"),
            _c("ascites"),
            _c("encephalopathy_grade"),
            # the PBC/PSC bilirubin table is opt-in: applied only when explicitly recorded
            coalesce(_c("cholestatic_liver_disease"), False),
        ),
        (
            "bilirubin_mg_dl",
            "albumin_g_dl",
            "inr",
            "ascites",
            "encephalopathy_grade",
            "cholestatic_liver_disease",
        ),
        "points",
        ("child-1964", "pugh-1973", "ref-calculators"),
        notes=(
            "Built for cirrhosis; with liver metastases it mainly flags chronic liver disease or "
            "decompensation from tumour burden.",
            "Ascites and encephalopathy are clinician-graded; imaging 'small-volume ascites' is "
            "not automatically 'mild'.",
            "The cholestatic (PBC/PSC) bilirubin table is used only if cholestatic liver disease "
            "is recorded as present.",
        ),
        unverified=(
            "cholestatic bilirubin cut-offs 4 and 10 mg/dL",
            "encephalopathy 'suppressed with medication' / 'refractory' wording",
        ),
        decimals=0,
    ),
    _spec(
        "albi",
        "ALBI",
        "Johnson 2015, albumin coefficient -0.085",
        liver_function.albi(_c("bilirubin_umol_l"), _c("albumin_g_l")),
        ("bilirubin_umol_l", "albumin_g_l"),
        "score",
        ("johnson-2015-albi", "ref-calculators"),
        notes=(
            "Sources disagree on the albumin coefficient (-0.085 or -0.0852); the grade under "
            "-0.0852 is shown as a detail.",
        ),
        unverified=("albumin coefficient -0.085 vs -0.0852 (primary text not checked)",),
        decimals=2,
    ),
    _spec(
        "meld",
        "MELD",
        "UNOS/OPTN (pre-2016), cap 40",
        liver_function.meld_optn(
            _c("creatinine_mg_dl"), _c("bilirubin_mg_dl"), _c("inr"), _c("dialysis")
        ),
        ("creatinine_mg_dl", "bilirubin_mg_dl", "inr", "dialysis"),
        "points",
        ("malinchoc-2000", "kamath-2001-meld", "wiesner-2003-meld", "ref-calculators"),
        notes=(_MELD_NOTE,),
        decimals=0,
    ),
    _spec(
        "meld_na",
        "MELD-Na",
        "OPTN 2016",
        liver_function.meld_na_optn_2016(
            _c("creatinine_mg_dl"),
            _c("bilirubin_mg_dl"),
            _c("inr"),
            _c("sodium_mmol_l"),
            _c("dialysis"),
        ),
        ("creatinine_mg_dl", "bilirubin_mg_dl", "inr", "sodium_mmol_l", "dialysis"),
        "points",
        ("optn-2016-meld-na", "kim-2008-meld-na", "wiesner-2003-meld", "ref-calculators"),
        notes=(
            _MELD_NOTE,
            "Not the Kim 2008 (Na 140) or Biggins 2006 (Na 135) variants.",
        ),
        decimals=0,
    ),
    _spec(
        "meld_3_0",
        "MELD 3.0",
        "Kim 2021 / OPTN 2023, cap 40",
        liver_function.meld_3_0(
            _c("female"),
            _c("age_years"),
            _c("bilirubin_mg_dl"),
            _c("sodium_mmol_l"),
            _c("inr"),
            _c("creatinine_mg_dl"),
            _c("albumin_g_dl"),
            _c("dialysis"),
        ),
        (
            "female",
            "age_years",
            "bilirubin_mg_dl",
            "sodium_mmol_l",
            "inr",
            "creatinine_mg_dl",
            "albumin_g_dl",
            "dialysis",
        ),
        "points",
        ("kim-2021-meld3", "ref-calculators"),
        notes=(
            _MELD_NOTE,
            "The paper sets no maximum; OPTN allocation caps at 40. The uncapped value is a "
            "detail. Under 12 years PELD applies (unknown here).",
        ),
        unverified=("OPTN cap of 40 for MELD 3.0",),
        decimals=0,
    ),
    _spec(
        "fib4",
        "FIB-4",
        "Sterling 2006, cut-offs 1.45/3.25",
        liver_function.fib4(_c("age_years"), _c("ast_u_l"), _c("alt_u_l"), _c("platelets_10e9_l")),
        ("age_years", "ast_u_l", "alt_u_l", "platelets_10e9_l"),
        "index",
        ("sterling-2006-fib4", "ref-calculators"),
        notes=(
            "Not valid under 35 years (unknown there).",
            "Unreliable within about 4 weeks of chemotherapy (thrombocytopenia, oxaliplatin "
            "sinusoidal injury).",
            "NAFLD cut-offs are 1.30/2.67; at age 65 or more a low cut-off of 2.0 is proposed.",
        ),
        unverified=("age >= 65 low cut-off 2.0 (not applied)",),
        decimals=2,
    ),
    _spec(
        "apri",
        "APRI",
        "Wai 2003, significant fibrosis cut-offs 0.5/1.5",
        liver_function.apri(_c("ast_u_l"), _c("ast_uln_u_l"), _c("platelets_10e9_l")),
        ("ast_u_l", "ast_uln_u_l", "platelets_10e9_l"),
        "index",
        ("wai-2003-apri", "ref-calculators"),
        notes=("Unreliable within about 4 weeks of chemotherapy.",),
        unverified=("cut-offs 0.5/1.5 (significant fibrosis) and 1.0/2.0 (cirrhosis)",),
        decimals=2,
    ),
    _spec(
        "fong_crs",
        "Fong Clinical Risk Score",
        "Fong 1999, strict cut-offs; 0-2 low / 3-5 high",
        tumour.fong_crs(
            _c("node_positive_primary"),
            _c("dfi_months"),
            _c("lesion_count"),
            _c("largest_lesion_cm"),
            _c("cea_ng_ml"),
        ),
        ("node_positive_primary", "dfi_months", "lesion_count", "largest_lesion_cm", "cea_ng_ml"),
        "points",
        ("fong-1999-crs", "ayez-2011", "ref-calculators"),
        notes=(
            "Not validated after neoadjuvant chemotherapy; say which time point the inputs are "
            "from.",
            "Margin and extrahepatic disease are not part of the score.",
        ),
        unverified=("5-year survival by score quoted from memory in the reference",),
        applies_to=("colorectal",),
        decimals=0,
    ),
    _spec(
        "tumour_burden_score",
        "Tumour Burden Score",
        "Sasaki 2018, CRLM zones 3/9",
        tumour.tbs(_c("largest_lesion_cm"), _c("lesion_count")),
        ("largest_lesion_cm", "lesion_count"),
        "score",
        ("sasaki-2018-tbs", "ref-calculators"),
        notes=(
            "Diameter in cm. HCC papers use other cut-offs; these zones are for colorectal liver "
            "metastases.",
        ),
        decimals=2,
    ),
    _spec(
        "game_score",
        "GAME score",
        "Margonis 2018 (BJS), TBS 3 to <9 = 1 point",
        tumour.game_score(
            _c("kras"),
            _c("cea_ng_ml"),
            _c("node_positive_primary"),
            _tbs,
            _c("extrahepatic_disease"),
        ),
        (
            "kras",
            "cea_ng_ml",
            "node_positive_primary",
            "largest_lesion_cm",
            "lesion_count",
            "extrahepatic_disease",
        ),
        "points",
        ("margonis-2018-game", "sasaki-2018-tbs", "ref-calculators"),
        notes=(
            "The abstract leaves TBS 8-9 open; 3 <= TBS < 9 scores 1 (the TBS zones).",
            "KRAS only (later papers use RAS).",
        ),
        applies_to=("colorectal",),
        decimals=0,
    ),
    _spec(
        "bsa",
        "Body surface area",
        "Mosteller 1987 (DuBois 1916 as detail)",
        body.bsa(_c("height_cm"), _c("weight_kg")),
        ("height_cm", "weight_kg"),
        "m²",
        ("mosteller-1987", "dubois-1916", "ref-calculators"),
        decimals=2,
    ),
    _spec(
        "total_liver_volume",
        "Total liver volume (estimated)",
        "Vauthey 2002, -794.41 + 1267.28 x BSA (Mosteller)",
        body.total_liver_volume(_c("height_cm"), _c("weight_kg")),
        ("height_cm", "weight_kg"),
        "mL",
        ("vauthey-2002-tlv", "mosteller-1987", "ref-calculators"),
        unverified=("which BSA formula the Vauthey derivation used",),
        decimals=0,
    ),
    _spec(
        "sflr",
        "Standardised future liver remnant",
        "FLR / Vauthey TLV; minimum 20 % normal, 30 % extensive chemotherapy, 40 % cirrhosis",
        body.sflr(
            _c("flr_volume_ml"),
            _c("height_cm"),
            _c("weight_kg"),
            _c("sflr_reported_percent"),
            _c("cirrhosis"),
            _c("fibrosis"),
            _c("extensive_chemotherapy"),
        ),
        (
            "flr_volume_ml",
            "height_cm",
            "weight_kg",
            "sflr_reported_percent",
            "cirrhosis",
            "fibrosis",
            "extensive_chemotherapy",
        ),
        "%",
        (
            "vauthey-2002-tlv",
            "kishi-2009-sflr",
            "shindoh-2013-chemotherapy-flr",
            "kubota-1997",
            "ref-calculators",
        ),
        notes=(
            "Threshold unknown when cirrhosis/fibrosis or chemotherapy status is unknown; an "
            "sFLR of 40 % or more is adequate and under 20 % inadequate under any threshold.",
            "Exactly at the threshold counts as adequate.",
        ),
        unverified=("40 % threshold in cirrhosis/fibrosis (40-50 % depending on ICG)",),
        decimals=1,
    ),
    _spec(
        "pve_hypertrophy",
        "Kinetic growth rate after PVE",
        "Shindoh 2013, cut-off 2 %/week",
        body.pve_hypertrophy(
            _c("sflr_pre_pve_percent"),
            _c("sflr_post_pve_percent"),
            _c("pve_day"),
            _c("post_pve_volumetry_day"),
        ),
        ("sflr_pre_pve_percent", "sflr_post_pve_percent", "pve_day", "post_pve_volumetry_day"),
        "%/week",
        ("shindoh-2013-kgr", "ribero-2007-pve", "ref-calculators"),
        notes=("Use the first scan after PVE.",),
        unverified=("degree of hypertrophy <= 5 percentage points (Ribero 2007)",),
        # only once a portal vein embolisation has been done (or dated)
        relevant=coalesce(_c("pve_done"), _c("pve_day").is_not_null()),
        decimals=2,
    ),
    _spec(
        "ecog_from_karnofsky",
        "ECOG (converted from Karnofsky)",
        "approximate; KPS 100=0, 80-90=1, 60-70=2, 40-50=3, 10-30=4, 0=5",
        body.ecog_from_karnofsky(_c("karnofsky")),
        ("karnofsky",),
        "ECOG grade",
        ("oken-1982-ecog", "karnofsky-1949", "ref-calculators"),
        notes=("Approximate: no official mapping; tables disagree on KPS 70 and 80.",),
        unverified=("ECOG-Karnofsky equivalence table",),
        relevant=_c("ecog").is_null(),  # ECOG as recorded wins; convert only without it
        decimals=0,
    ),
    _spec(
        "karnofsky_from_ecog",
        "Karnofsky (converted from ECOG)",
        "approximate; lower end of the usual range",
        body.karnofsky_from_ecog(_c("ecog")),
        ("ecog",),
        "KPS",
        ("oken-1982-ecog", "karnofsky-1949", "ref-calculators"),
        notes=("Approximate: no official mapping; the value is the lower end of the range.",),
        unverified=("ECOG-Karnofsky equivalence table",),
        relevant=_c("karnofsky").is_null(),
        decimals=0,
    ),
    _spec(
        "cea_doubling_time",
        "CEA doubling time",
        "log-linear least squares over all positive CEA values",
        markers.marker_doubling_time("cea"),
        _MARKER_INPUTS,
        "days",
        ("ref-calculators",),
        relevant=_MARKERS.count(where=_c("marker").eq("cea")) > 0,
        notes=(
            "Meaningful only with at least 2 (better 3) values above the ULN from one assay; "
            "a falling series is reported as halving time.",
        ),
        decimals=0,
    ),
    _spec(
        "ca19_9_doubling_time",
        "CA 19-9 doubling time",
        "log-linear least squares over all positive CA 19-9 values",
        markers.marker_doubling_time("ca19_9"),
        _MARKER_INPUTS,
        "days",
        ("ref-calculators",),
        relevant=_MARKERS.count(where=_c("marker").eq("ca19_9")) > 0,
        notes=(
            "Meaningful only with at least 2 (better 3) values above the ULN from one assay; "
            "CA 19-9 rises with cholestasis and is absent in Lewis-negative people.",
        ),
        decimals=0,
    ),
)

SCORE_BY_ID: dict[str, ScoreSpec] = {spec.id: spec for spec in SCORES}
