"""The report section "what the answer rests on": present when the analyses' files are, else None."""
import numpy as np
import pandas as pd

from sim import discovery, rests_on, sensitivity
from sim.calibration import moments as mom
from sim.runner import CSV_ENCODING


def test_none_without_results(tmp_path):
    assert rests_on.section(tmp_path) is None


def test_section_from_the_three_analyses(tmp_path):
    ens = tmp_path / "zhongwei_2022_plan-seed0-h300-r60"
    (ens / "calibration").mkdir(parents=True)
    mom.table([{m.key: m.target for m in mom.MOMENTS}] * 2).to_csv(ens / "calibration" / "moments.csv",
                                                                     index=False, encoding=CSV_ENCODING)
    rng = np.random.default_rng(0)
    draws = pd.DataFrame(rng.random((80, 3)), columns=["labour.wage_growth", "labour.wage.away", "costs.cattle_park"])
    figures = pd.DataFrame({"T1": 3 * draws["labour.wage_growth"] + rng.normal(0, 0.1, 80)})
    table = sensitivity.given_data(draws, figures, methods=["delta", "rbd_fast"])
    table.to_csv(ens / "sensitivity.csv", index=False, encoding=CSV_ENCODING)
    X, y = draws, (draws["labour.wage_growth"] > 0.5).to_numpy()
    box, _ = discovery.prim(X, y)
    zh, en = discovery.sentences(box, X, "T1")
    pd.DataFrame([{"target": "T1", "sentence_zh": zh, "sentence_en": en}]).to_csv(
        ens / "discovery.csv", index=False, encoding=CSV_ENCODING)
    html = rests_on.section(tmp_path)
    assert html.startswith("<section><h2>") and "What the answer rests on" in html
    assert "Per-capita disposable income 2021" in html and "labour.wage_growth" in html
    assert __import__("html").escape(en) in html and "parameters still marked as assumptions explain" in html
    share = rests_on.tables(tmp_path)["assumption_share"][ens.name]
    assert share["assumed"] > 0.5  # wage growth is marked as an assumption and decides T1 here
