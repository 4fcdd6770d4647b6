"""Contingency tables in distinct reports, checked against openEBGM's published ``processRaw`` output.

Sources (R package openEBGM, CRAN, repository cran/openEBGM at commit 6e6885cc, the version the
CAERS fixture was taken from):

* vignette "Processing Raw Data with openEBGM" (inst/doc/vignette02-rawDataProcessing.html):
  a 17-row example, unstratified, stratified by two variables and with ``zeroes = TRUE``;
* tests/testthat/testA_Counts.R: a 10-row example with hand-computed N, E, RR, PRR;
* vignette "Hyperparameter Estimation with openEBGM": ``nrow(processRaw(caers))`` = 17189 and
  the first four rows' N and E;
* vignette "Empirical Bayes Metrics with openEBGM": N, E, RR, PRR of six CAERS rows and of the
  five pairs with the largest QUANT_05.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import shared_data
from defectradar.errors import InputError
from defectradar.signals.contingency import ContingencyTable


def vignette_rows() -> pd.DataFrame:
    """The data frame ``dat`` printed in openEBGM's "Processing Raw Data" vignette (17 reports)."""
    var1 = ["B", "A", "B", "A", "A", "A", "A", "A", "A", "A", "A", "B", "B", "B", "B", "B", "C"]
    var2 = [1, 1, 2, 1, 1, 1, 2, 2, 1, 2, 2, 2, 1, 2, 1, 2, 1]
    strat1 = "F M M M F F F F M M M M M M M F M".split()
    strat2 = [2, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1]
    return pd.DataFrame({"id": range(1, 18), "product": [f"product_{v}" for v in var1],
                         "event": [f"event_{v}" for v in var2], "strat1": strat1,
                         "strat2": [f"age_cat{v}" for v in strat2]})


def caers() -> pd.DataFrame:
    return pd.read_csv(shared_data("openebgm-caers") / "caers.csv")


def caers_table(**kwargs) -> ContingencyTable:
    return ContingencyTable.from_rows(caers(), product_col="var1", event_col="var2", **kwargs)


def test_vignette_example_unstratified():
    """``processRaw(data = dat, stratify = FALSE, zeroes = FALSE)`` in the vignette prints

        var1      var2    N E         RR   PRR
        product_A event_1 5 4.7647059 1.05 1.11
        product_A event_2 4 4.2352941 0.94 0.89
        product_B event_1 3 3.7058824 0.81 0.71
        product_B event_2 4 3.2941176 1.21 1.43
        product_C event_1 1 0.5294118 1.89 2.00
    """
    pairs = ContingencyTable.from_rows(vignette_rows()).pairs
    assert pairs["product"].tolist() == ["product_A", "product_A", "product_B", "product_B", "product_C"]
    assert pairs["n"].tolist() == [5, 4, 3, 4, 1]
    np.testing.assert_allclose(pairs["expected"], [4.7647059, 4.2352941, 3.7058824, 3.2941176, 0.5294118],
                               atol=5e-8)
    np.testing.assert_allclose((pairs["n"] / pairs["expected"]).round(2), [1.05, 0.94, 0.81, 1.21, 1.89])
    assert (pairs["total"] == 17).all()


def test_vignette_example_stratified_by_two_variables():
    """``processRaw(data = dat, stratify = TRUE)`` with strat1 (sex) and strat2 (age) — openEBGM
    pastes them into 4 strata — prints E = 4.3222222, 4.6777778, 4.1222222, 2.8777778, 0.5555556
    and RR = 1.16, 0.86, 0.73, 1.39, 1.80."""
    table = ContingencyTable.from_rows(vignette_rows(), stratum_col=["strat1", "strat2"])
    np.testing.assert_allclose(table.pairs["expected"], [4.3222222, 4.6777778, 4.1222222, 2.8777778, 0.5555556],
                               atol=5e-8)
    np.testing.assert_allclose((table.pairs["n"] / table.pairs["expected"]).round(2), [1.16, 0.86, 0.73, 1.39, 1.80])
    assert table.n_strata == 4 and table.strata == ("strat1", "strat2")


def test_vignette_example_with_zeroes():
    """``processRaw(data = dat, zeroes = TRUE)`` adds ``product_C event_2 0 0.4705882``."""
    pairs = ContingencyTable.from_rows(vignette_rows(), zeroes=True).pairs
    row = pairs[(pairs["product"] == "product_C") & (pairs["event"] == "event_2")].iloc[0]
    assert row["n"] == 0 and row["expected"] == pytest.approx(0.4705882, abs=5e-8)
    assert len(pairs) == 6


def hand_rows() -> pd.DataFrame:
    """openEBGM tests/testthat/testA_Counts.R, ``dat2`` (10 reports, one product-event each)."""
    return pd.DataFrame({
        "id": range(1, 11),
        "product": ["A", "B", "B", "B", "C", "A", "A", "B", "B", "C"],
        "event": ["1", "2", "2", "3", "3", "2", "3", "3", "3", "1"],
        "strat1": ["Male"] * 5 + ["Female"] * 3 + ["Male"] * 2,
        "strat2": ["age_cat1"] * 8 + ["age_cat2"] * 2,
    })


def test_hand_calculation_from_openebgm_tests():
    """testA_Counts.R ``hand`` (unstratified) and ``hand_s`` (stratified by strat1 × strat2), with
    zeroes, products A-C × events 1-3:

        N      = 1, 1, 1, 0, 2, 3, 1, 0, 1
        E      = 0.6, 0.9, 1.5, 1, 1.5, 2.5, 0.4, 0.6, 1
        E_strat = 0.2, 0.4+2/3, 0.4+4/3, 1.1, 1.2+1/3, 1.7+2/3, 0.7, 0.4, 0.9
    """
    plain = ContingencyTable.from_rows(hand_rows(), zeroes=True).pairs
    strat = ContingencyTable.from_rows(hand_rows(), stratum_col=["strat1", "strat2"], zeroes=True).pairs
    assert plain["n"].tolist() == [1, 1, 1, 0, 2, 3, 1, 0, 1]
    np.testing.assert_allclose(plain["expected"], [0.6, 0.9, 1.5, 1, 1.5, 2.5, 0.4, 0.6, 1], rtol=1e-12)
    np.testing.assert_allclose(strat["expected"], [0.2, 0.4 + 2 / 3, 0.4 + 4 / 3, 1.1, 1.2 + 1 / 3, 1.7 + 2 / 3,
                                                   0.7, 0.4, 0.9], rtol=1e-12)
    # Without zeroes the same pairs with n > 0, and the sparse stratified path agrees with the dense one.
    sparse = ContingencyTable.from_rows(hand_rows(), stratum_col=["strat1", "strat2"]).pairs
    np.testing.assert_allclose(sparse["expected"], strat.loc[strat["n"] > 0, "expected"], rtol=1e-12)


def test_small_stratified_example_by_hand():
    """Two strata written out.  Stratum M: reports 1 (A,x), 2 (A,y), 3 (B,x); stratum F: report 4 (A,x)
    and report 5 (B,y).  E(A,x) = n_A(M) n_x(M)/N(M) + n_A(F) n_x(F)/N(F) = 2·2/3 + 1·1/2 = 11/6."""
    rows = pd.DataFrame({"id": [1, 2, 3, 4, 5], "product": ["A", "A", "B", "A", "B"],
                         "event": ["x", "y", "x", "x", "y"], "sex": ["M", "M", "M", "F", "F"]})
    pairs = ContingencyTable.from_rows(rows, stratum_col="sex").pairs.set_index(["product", "event"])
    assert pairs.loc[("A", "x"), "expected"] == pytest.approx(2 * 2 / 3 + 1 * 1 / 2)
    assert pairs.loc[("A", "y"), "expected"] == pytest.approx(2 * 1 / 3 + 1 * 1 / 2)  # 1/2 from F: n_y(F)=1
    assert pairs.loc[("B", "y"), "expected"] == pytest.approx(1 * 1 / 3 + 1 * 1 / 2)
    # Unstratified, E = 3·3/5 for (A, x).
    plain = ContingencyTable.from_rows(rows).pairs.set_index(["product", "event"])
    assert plain.loc[("A", "x"), "expected"] == pytest.approx(9 / 5)


def test_report_counts_once_per_pair_and_margin():
    """A report listing the same product-event twice, or a product with two events, counts once in
    every margin (openEBGM counts unique ids: ``.countUnique(id)``)."""
    rows = pd.DataFrame({"id": [1, 1, 1, 2], "product": ["A", "A", "A", "B"], "event": ["x", "x", "y", "x"]})
    pairs = ContingencyTable.from_rows(rows).pairs.set_index(["product", "event"])
    assert pairs.loc[("A", "x"), "n"] == 1
    assert pairs.loc[("A", "x"), "n_product"] == 1  # one report, though three rows
    assert pairs.loc[("A", "x"), "n_event"] == 2
    assert (pairs["total"] == 2).all()


def test_caers_counts_match_openebgm_vignettes():
    """openEBGM vignettes on ``processRaw(caers)`` (3356 reports, 2874 products, 1328 events per
    R/data_caers.R):

        nrow(processed)  # [1] 17189
        var1                     var2                  N E            RR      PRR
        1-PHENYLALANINE          HEART RATE INCREASED  1 0.0360548272   27.74  27.96
        11 UNSPECIFIED VITAMINS  ASTHMA                1 0.0038736591  258.15 279.58
        11 UNSPECIFIED VITAMINS  CARDIAC FUNCTION TEST 1 0.0002979738 3356.00    Inf
        11 UNSPECIFIED VITAMINS  CHEST PAIN            1 0.0360548272   27.74  27.96
        11 UNSPECIFIED VITAMINS  DYSPNOEA              1 0.0765792610   13.06  13.11
        11 UNSPECIFIED VITAMINS  HYPERSENSITIVITY      1 0.0527413588   18.96  19.06

    and the top QUANT_05 pairs: REUMOFAN PLUS / WEIGHT INCREASED 16 0.40643623; HYDROXYCUT REGULAR
    RAPID RELEASE CAPLETS / EMOTIONAL DISTRESS 19 0.89690107; REUMOFAN PLUS / IMMOBILE 6 0.07866508;
    HYDROXYCUT HARDCORE CAPSULES / CARDIO-RESPIRATORY DISTRESS 8 0.30482718; HYDROXYCUT REGULAR RAPID
    RELEASE CAPLETS / INJURY 11 0.56317044.  (PRR is checked in test_disproportionality.py.)
    """
    table = caers_table()
    pairs = table.pairs
    assert len(pairs) == 17189
    assert table.n_reports == 3356
    assert pairs["product"].nunique() == 2874 and pairs["event"].nunique() == 1328
    head = pairs.head(6)
    assert head["event"].tolist() == ["HEART RATE INCREASED", "ASTHMA", "CARDIAC FUNCTION TEST", "CHEST PAIN",
                                      "DYSPNOEA", "HYPERSENSITIVITY"]
    assert head["n"].tolist() == [1] * 6
    np.testing.assert_allclose(head["expected"], [0.0360548272, 0.0038736591, 0.0002979738, 0.0360548272,
                                                  0.0765792610, 0.0527413588], rtol=0, atol=5e-11)
    np.testing.assert_allclose((head["n"] / head["expected"]).round(2), [27.74, 258.15, 3356.00, 27.74, 13.06, 18.96])
    top = pairs.set_index(["product", "event"]).loc[[
        ("REUMOFAN PLUS", "WEIGHT INCREASED"), ("HYDROXYCUT REGULAR RAPID RELEASE CAPLETS", "EMOTIONAL DISTRESS"),
        ("REUMOFAN PLUS", "IMMOBILE"), ("HYDROXYCUT HARDCORE CAPSULES", "CARDIO-RESPIRATORY DISTRESS"),
        ("HYDROXYCUT REGULAR RAPID RELEASE CAPLETS", "INJURY")]]
    assert top["n"].tolist() == [16, 19, 6, 8, 11]
    np.testing.assert_allclose(top["expected"], [0.40643623, 0.89690107, 0.07866508, 0.30482718, 0.56317044],
                               rtol=0, atol=5e-9)


def test_caers_stratified_by_sex_against_brute_force():
    """No openEBGM vignette prints stratified CAERS numbers, so E by sex (strat1: Female, Male,
    Not Available) is checked against a direct count with Python sets, report by report, on 300
    random pairs (seed 20240611, fixed)."""
    rows = caers()
    table = caers_table(stratum_col="strat1")
    assert table.n_strata == 3 and len(table) == 17189
    stratum = rows.drop_duplicates("id").set_index("id")["strat1"]
    reports_of_product = rows.groupby("var1")["id"].agg(set)
    reports_of_event = rows.groupby("var2")["id"].agg(set)
    size = stratum.value_counts()
    rng = np.random.default_rng(20240611)
    sample = table.pairs.iloc[rng.choice(len(table), 300, replace=False)]
    for row in sample.itertuples():
        expected = 0.0
        for s, n_s in size.items():
            n_p = sum(1 for i in reports_of_product[row.product] if stratum[i] == s)
            n_e = sum(1 for i in reports_of_event[row.event] if stratum[i] == s)
            expected += n_p * n_e / n_s
        assert row.expected == pytest.approx(expected, rel=1e-12)
    # Stratification moves E but keeps N, the margins and the report total.
    plain = caers_table()
    pd.testing.assert_frame_equal(plain.pairs.drop(columns="expected"), table.pairs.drop(columns="expected"))
    assert not np.allclose(plain.pairs["expected"], table.pairs["expected"])


# ---------------------------------------------------------------------- bad input
def test_missing_column_is_named():
    rows = vignette_rows().drop(columns="event")
    with pytest.raises(InputError, match=r"missing column 'event'.*rename your columns or pass the column names"):
        ContingencyTable.from_rows(rows)
    with pytest.raises(InputError, match="missing column 'sex'"):
        ContingencyTable.from_rows(vignette_rows(), stratum_col="sex")


def test_empty_input():
    with pytest.raises(InputError, match="input is empty"):
        ContingencyTable.from_rows(pd.DataFrame(columns=["id", "product", "event"]))
    with pytest.raises(InputError, match="input is empty"):
        ContingencyTable.from_counts(pd.DataFrame(columns=["product", "event", "n", "n_product", "n_event", "total"]))


@pytest.mark.parametrize("column, value", [("id", None), ("product", np.nan), ("event", ""), ("event", "  ")])
def test_null_ids_products_events(column, value):
    rows = vignette_rows().astype({"id": object})
    rows.loc[3, column] = value
    with pytest.raises(InputError, match=rf"column '{column}' has 1 missing or empty values \(first at row 3\)"):
        ContingencyTable.from_rows(rows)


def test_missing_stratum_names_the_column():
    rows = vignette_rows()
    rows.loc[5, "strat1"] = None
    with pytest.raises(InputError, match="column 'strat1' has 1 missing"):
        ContingencyTable.from_rows(rows, stratum_col="strat1")


def test_report_in_two_strata_is_an_error():
    rows = pd.DataFrame({"id": [1, 1], "product": ["A", "A"], "event": ["x", "y"], "sex": ["M", "F"]})
    with pytest.raises(InputError, match="report 1 has more than one value of sex"):
        ContingencyTable.from_rows(rows, stratum_col="sex")


def test_not_a_dataframe():
    with pytest.raises(InputError, match="DataFrame"):
        ContingencyTable.from_rows([("1", "A", "x")])


def test_zeroes_refuses_huge_tables(monkeypatch):
    import defectradar.signals.contingency as module

    monkeypatch.setattr(module, "MAX_ZERO_CELLS", 5)
    with pytest.raises(InputError, match="use zeroes=False"):
        ContingencyTable.from_rows(vignette_rows(), zeroes=True)


# ---------------------------------------------------------------------- from_counts
def test_from_counts_round_trip():
    built = caers_table()
    again = ContingencyTable.from_counts(built.pairs.drop(columns="expected").sample(frac=1, random_state=3))
    pd.testing.assert_frame_equal(built.pairs, again.pairs)
    assert again.n_reports == 3356
    # A given expected column (e.g. stratified elsewhere) is kept as is.
    strat = caers_table(stratum_col="strat1")
    kept = ContingencyTable.from_counts(strat.pairs)
    np.testing.assert_array_equal(kept.pairs["expected"], strat.pairs["expected"])


def counts(**changes) -> pd.DataFrame:
    base = {"product": ["A", "B"], "event": ["x", "x"], "n": [3, 1], "n_product": [10, 4], "n_event": [5, 5],
            "total": [100, 100]}
    base.update(changes)
    return pd.DataFrame(base)


@pytest.mark.parametrize("changes, message", [
    ({"n": [-1, 1]}, r"column 'n' has a negative count \(-1 at row 0\)"),
    ({"n_event": [5, None]}, r"column 'n_event' has missing or non-numeric values \(first at row 1\)"),
    ({"n": [1.5, 1]}, "column 'n' must hold whole numbers"),
    ({"n": [11, 1]}, "n is larger than n_product at row 0"),
    ({"total": [100, 7]}, "n_product \\+ n_event - n exceeds total"),
    ({"n_product": [0, 4], "n": [0, 1]}, "column 'n_product' must be at least 1"),
    ({"product": ["A", None]}, "column 'product' has 1 missing"),
    ({"product": ["A", "A"]}, r"pair \('A', 'x'\) appears more than once"),
])
def test_from_counts_bad_input(changes, message):
    with pytest.raises(InputError, match=message):
        ContingencyTable.from_counts(counts(**changes))


def test_from_counts_missing_column_and_bad_expected():
    with pytest.raises(InputError, match="missing column 'total'"):
        ContingencyTable.from_counts(counts().drop(columns="total"))
    with pytest.raises(InputError, match="column 'expected' must hold positive numbers"):
        ContingencyTable.from_counts(counts(expected=[0.5, -1.0]))


def test_cells_are_the_two_by_two_table():
    """a = n; b = n_product - n; c = n_event - n; d = N - n_product - n_event + n."""
    a, b, c, d = ContingencyTable.from_counts(counts()).cells()
    np.testing.assert_array_equal(a, [3, 1])
    np.testing.assert_array_equal(b, [7, 3])
    np.testing.assert_array_equal(c, [2, 4])
    np.testing.assert_array_equal(d, [88, 92])
