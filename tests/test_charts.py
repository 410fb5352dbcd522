"""Charts: real CJK glyphs, every chart in both languages, saving, visible data gaps, the registry."""
import itertools
import logging
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imread  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from sim import charts  # noqa: E402
from sim.ensemble import run_ensemble  # noqa: E402
from sim.forecast import fit_all  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.targets import evaluate  # noqa: E402

from conftest import ROOT  # noqa: E402

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
OTHER = charts.Label("测试方案（收入×1.05）", "Test package (income ×1.05)")


@pytest.fixture(scope="session")
def ensemble(baseline, tmp_path_factory):
    """A small real ensemble (3 replications x 300 households), its targets and a second,
    made-up package (baseline income x 1.05 from the second year on)."""
    out = tmp_path_factory.mktemp("charts")
    run_dir = run_ensemble(baseline, 3, 11, out=out, households=300, executor="serial",
                           progress=False)
    evaluate(run_dir, baseline.parameters).frame().to_csv(run_dir / "targets.csv", index=False,
                                           encoding="utf-8-sig")
    return charts.load_ensemble(run_dir)


@pytest.fixture(scope="session")
def comparators():
    return fit_all()


@pytest.fixture(scope="session")
def inputs(ensemble):
    e = ensemble
    later = e.income["year"] > charts.STUDY_YEARS[0]
    income = e.income.assign(yuan_per_person=np.where(later, e.income["yuan_per_person"] * 1.05,
                                                      e.income["yuan_per_person"]))
    targets = e.targets.assign(probability=np.linspace(0, 1, len(e.targets)))
    return {"runs": {e.label: e.income, OTHER: income},
            "households": {e.label: e.households, OTHER: e.households},
            "targets": {e.label: e.targets, OTHER: targets},
            "comparison": pd.DataFrame({
                "scenario": ["posts", "training"], "label_zh": ["增加公益性岗位", "技能培训"],
                "label_en": ["More public posts", "Skills training"],
                "extra_cost_yuan": [1.2e7, 4.0e6], "gain_2025_median": [300.0, 120.0],
                "gain_2025_p10": [150.0, -20.0], "gain_2025_p90": [450.0, 240.0]})}


def _charts(inputs, comparators, lang):
    yield "fan", charts.fan_chart(inputs["runs"], comparators, lang)
    yield "targets", charts.target_chart(inputs["targets"], lang)
    yield "components", charts.component_chart(inputs["runs"], lang)
    yield "components_2025", charts.component_chart(inputs["runs"], lang, year=2025)
    yield "below_line", charts.below_line_chart(inputs["households"], lang)
    yield "cost_effect", charts.cost_effect_chart(inputs["comparison"], lang)


def _texts(fig):
    return [t.get_text() for t in fig.findobj(Text) if t.get_text() and t.get_visible()]


def _ink(text):
    """Greyscale pixels of ``text`` drawn large on a blank canvas."""
    fig = Figure(figsize=(3, 1), dpi=100)
    fig.text(0.05, 0.3, text, fontsize=28)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return 255 - np.asarray(canvas.buffer_rgba())[..., :3].mean(axis=2)


# --------------------------------------------------------------------------- (a) fonts

def test_cjk_font_is_the_packaged_noto_sans_cjk_sc():
    assert charts.CJK_FONT_PATH is not None and charts.CJK_FONT_PATH.is_file()
    found = font_manager.findfont(font_manager.FontProperties(family=charts.CJK_FAMILY),
                                  fallback_to_default=False)
    assert str(found) == str(charts.CJK_FONT_PATH)
    assert font_manager.get_font(found).family_name == charts.CJK_FAMILY
    assert list(matplotlib.rcParams["font.family"][:2]) == [charts.LATIN_FAMILY, charts.CJK_FAMILY]


def test_chinese_characters_fall_back_to_the_cjk_font():
    """The first family in the fallback chain whose font has the glyph draws it."""
    fonts = [font_manager.get_font(font_manager.findfont(
        font_manager.FontProperties(family=f), fallback_to_default=False))
        for f in matplotlib.rcParams["font.family"]]
    for char in "移民收入：（）−":
        drawing = next(f for f in fonts if ord(char) in f.get_charmap())
        expected = charts.LATIN_FAMILY if char == "−" else charts.CJK_FAMILY
        assert drawing.family_name == expected, char


def test_chinese_renders_without_warnings_and_not_as_boxes(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = Figure()
        ax = fig.add_subplot()
        ax.plot([2021, 2025], [-1, 1])
        ax.set_title("移民人均可支配收入（元/人·年）")
        ax.set_xlabel("年份")
        fig.savefig(tmp_path / "cjk.png")
        a, b = _ink("移民收入"), _ink("可支配额")
    assert not caught, [str(w.message) for w in caught]
    assert (tmp_path / "cjk.png").stat().st_size > 0
    # Missing glyphs all render as the same box, so two different strings would match.
    assert (a > 128).sum() > 500 and (b > 128).sum() > 500
    assert np.abs(a - b).mean() > 5


# --------------------------------------------------------------------------- (b) charts

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_renders_in_both_languages(inputs, comparators, lang, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name, (fig, data) in _charts(inputs, comparators, lang):
            charts.save(fig, data, tmp_path / f"{name}_{lang}")
            texts = _texts(fig)
            assert fig.get_suptitle(), name
            assert fig.get_supxlabel(), name  # the source note
            assert any(ax.get_legend() for ax in fig.axes), name
            for ax in fig.axes:
                if ax.axison and ax.get_visible():
                    assert ax.get_xlabel() or ax.get_xticklabels(), name
            chinese = [t for t in texts if CJK.search(t)]
            assert chinese if lang == "zh" else not chinese, (name, chinese)
            assert len(data), name
    assert not caught, [str(w.message) for w in caught]


def test_fan_chart_target_comes_from_the_parameter(inputs, tree):
    fig, data = charts.fan_chart(inputs["runs"], lang="en")
    growth = tree[charts.T1_PARAMETER].at(pd.Timestamp(f"{charts.T1_YEAR}-01-01").date())
    first = next(iter(inputs["runs"].values()))
    base = first[(first["group"] == "all") & (first["component"] == "disposable")
                 & (first["year"] == charts.T1_BASE_YEAR)]["yuan_per_person"].median()
    target = data.loc[data["kind"] == "target"]
    assert target["year"].tolist() == [charts.T1_YEAR]
    assert target["target"].iloc[0] == pytest.approx(base * (1 + growth))


def test_cost_effect_chart_needs_its_columns(inputs):
    with pytest.raises(ValueError, match="gain_YYYY"):
        charts.cost_effect_chart(inputs["comparison"].drop(columns="gain_2025_p90"))


def test_unknown_language_is_refused(inputs):
    with pytest.raises(ValueError, match="lang"):
        charts.below_line_chart(inputs["households"], lang="fr")


# --------------------------------------------------------------------------- (c) saving

def test_save_writes_png_svg_csv_and_refuses_to_overwrite(inputs, tmp_path):
    fig, data = charts.below_line_chart(inputs["households"], "zh")
    stem = tmp_path / "new" / "dir" / "below_line_zh"
    png, svg, csv = charts.save(fig, data, stem)
    assert [p.name for p in (png, svg, csv)] == [f"below_line_zh.{e}" for e in ("png", "svg",
                                                                               "csv")]
    assert imread(png).shape[1] == round(charts.FIG_WIDTH * charts.PNG_DPI)
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    table = pd.read_csv(csv, encoding="utf-8-sig")
    assert OTHER.zh in set(table["label"])
    before = png.stat().st_mtime_ns
    with pytest.raises(FileExistsError):
        charts.save(fig, data, stem)
    assert png.stat().st_mtime_ns == before
    charts.save(fig, data, stem, overwrite=True)


def test_save_refuses_if_any_of_the_three_files_exists(inputs, tmp_path):
    fig, data = charts.cost_effect_chart(inputs["comparison"], "en")
    (tmp_path / "cost.csv").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError):
        charts.save(fig, data, tmp_path / "cost")
    assert not (tmp_path / "cost.png").exists()
    assert (tmp_path / "cost.csv").read_text(encoding="utf-8") == "keep me"


# --------------------------------------------------------------------------- (d) gaps

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_missing_year_is_noted_in_the_figure_and_the_log(ensemble, lang, caplog):
    gap = ensemble.income[ensemble.income["year"] != 2024]
    with caplog.at_level(logging.WARNING, logger="sim.charts"):
        fig, data = charts.fan_chart({ensemble.label: gap}, lang=lang)
    assert any("2024" in r.getMessage() for r in caplog.records)
    assert "2024" in fig.get_supxlabel()
    assert 2024 in set(data["year"])  # kept as a gap, not dropped
    assert data.loc[(data["kind"] == "simulated") & (data["year"] == 2024), "median"].isna().all()


def test_a_package_without_data_is_noted(ensemble, inputs, caplog):
    empty = charts.Label("空方案", "Empty package")
    with caplog.at_level(logging.WARNING, logger="sim.charts"):
        fig, _ = charts.below_line_chart({ensemble.label: ensemble.households,
                                         empty: ensemble.households.iloc[0:0]}, "en")
        fig2, _ = charts.target_chart({**inputs["targets"], empty: pd.DataFrame()}, "zh")
    assert "Empty package" in fig.get_supxlabel()
    assert "空方案" in fig2.get_supxlabel()
    assert sum("Empty package" in r.getMessage() or "空方案" in r.getMessage()
               for r in caplog.records) == 2


def test_missing_cost_values_are_noted(inputs, caplog):
    comparison = inputs["comparison"].copy()
    comparison.loc[1, "gain_2025_median"] = np.nan
    with caplog.at_level(logging.WARNING, logger="sim.charts"):
        fig, _ = charts.cost_effect_chart(comparison, "en")
    assert "Skills training" in fig.get_supxlabel()
    assert any("Skills training" in r.getMessage() for r in caplog.records)


# --------------------------------------------------------------------------- (e) the registry

TOY_CHART = '''"""Toy chart: rows of each package's income table (the add-a-chart recipe, followed)."""
import pandas as pd

from sim.charts.style import display_name, finish, labels_for, new_figure, package_colour

NAME = "toy"
TEXT = {"zh": {"toy_title": "各方案的收入表行数"}, "en": {"toy_title": "Rows per package"}}


def draw(inputs, lang):
    L, notes = labels_for(lang, TEXT), []
    fig, axes, holder = new_figure()
    data = pd.DataFrame([(display_name(k, lang), len(df)) for k, df in inputs.runs.items()],
                        columns=["package", "rows"])
    axes[0, 0].bar(data["package"], data["rows"], color=package_colour(0))
    finish(fig, holder, L["toy_title"], [L["source_sim"].format(n=1)], notes, L)
    return fig, data
'''


def test_adding_a_chart_is_adding_one_module(ensemble, tmp_path, monkeypatch):
    """The recipe: write a module with NAME, TEXT and draw(inputs, lang); name it in CHARTS."""
    (tmp_path / "toy_chart.py").write_text(TOY_CHART, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(charts, "CHARTS", [*charts.CHARTS, "toy_chart"])
    drawn = charts.render_all(charts.ChartInputs([ensemble]), tmp_path / "out")
    assert list(drawn)[-1] == "toy" and set(drawn["toy"]) == {"zh", "en"}
    assert "cost_effect" not in drawn  # its draw returns None without a comparison table
    for lang in ("zh", "en"):
        for ext in ("png", "svg"):
            assert (tmp_path / "out" / f"toy_{lang}.{ext}").stat().st_size > 0
        table = pd.read_csv(tmp_path / "out" / f"toy_{lang}.csv", encoding="utf-8-sig")
        assert table["rows"].tolist() == [len(ensemble.income)]
        assert table["package"].tolist() == [getattr(ensemble.label, lang)]


def test_a_chart_module_without_draw_is_refused(tmp_path, monkeypatch):
    (tmp_path / "not_a_chart.py").write_text('"""No draw."""\nNAME = "x"\n', encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(TypeError, match="not_a_chart lacks draw"):
        charts.registered(["not_a_chart"])


# --------------------------------------------------------------------------- (f) a look

PACKAGES = ("baseline", "employment", "industry", "subsidy", "zhongwei_2022_plan",
            "ningxia_2025")
# The packages' extra cost (yuan) and 2025 gain (yuan per person) as README's 40-replication
# comparison measured them: the last two nearly coincide, the case where labels collided.
COMPARISON_COST = (0.0, 64e6, 360e6, 181e6, 623e6, 666e6)
COMPARISON_GAIN = (0.0, 978.0, 158.0, 251.0, 1446.0, 1451.0)
GAIN_SPREAD = 300.0  # yuan: half-width of the made-up 10-90% range
PX_TOLERANCE = 0.5   # pixels at the canvas' 100 dpi: boxes that only touch do not overlap


@pytest.fixture(scope="session")
def crowded(ensemble):
    """Six packages named as the real ones: the small ensemble's tables, incomes raised by 3%
    a package, targets shifted, and README's costs and gains (two packages nearly equal)."""
    labels = []
    for name in PACKAGES:
        text = load_scenario(ROOT / "scenarios" / f"{name}.yaml").label
        labels.append(charts.Label(text["zh"], text["en"]))
    e, ensembles = ensemble, []
    for i, label in enumerate(labels):
        income = e.income.assign(yuan_per_person=e.income["yuan_per_person"] * (1 + 0.03 * i))
        targets = e.targets.assign(probability=np.clip(e.targets["probability"] + 0.15 * i, 0, 1))
        ensembles.append(charts.Ensemble(label, income, e.households, e.fiscal, targets, e.record))
    gain = np.array(COMPARISON_GAIN)
    comparison = pd.DataFrame({
        "scenario": PACKAGES, "label_zh": [x.zh for x in labels], "label_en": [x.en for x in labels],
        "extra_cost_yuan": COMPARISON_COST, "gain_2025_median": gain,
        "gain_2025_p10": gain - GAIN_SPREAD * (gain > 0), "gain_2025_p90": gain + GAIN_SPREAD * (gain > 0)})
    return charts.ChartInputs(ensembles, comparison, fit_all(), *_analyses())


def _analyses(runs=200, parameters=14):
    """A sensitivity table over real parameters (their long labels crowd the axis) and a PRIM
    trajectory, both from made-up draws where the first parameter decides the figures."""
    from sim import discovery, sensitivity
    from sim.parameters import ParameterTree
    from sim.uncertainties import uncertain_parameters
    paths = uncertain_parameters(ParameterTree.load())[:parameters]
    rng = np.random.default_rng(7)
    draws = pd.DataFrame(rng.random((runs, parameters)), columns=paths)
    y = 3 * draws[paths[0]] + draws[paths[1]] + rng.normal(0, 0.2, runs)
    figures = pd.DataFrame({k: y * (i + 1) for i, k in enumerate(sensitivity.FIGURES)})
    table = sensitivity.given_data(draws, figures, methods=["rbd_fast"])
    _, trajectory = discovery.prim(draws, (y > y.median()).to_numpy())
    return table, trajectory.assign(target="T1")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_analysis_charts_draw_only_with_their_tables(crowded, lang):
    from sim.charts import discovery, sensitivity
    from sim.sensitivity import TOP_CHART
    for module in (sensitivity, discovery):
        assert module.draw(charts.ChartInputs(crowded.ensembles), lang) is None
        fig, data = module.draw(crowded, lang)
        chinese = [t for t in _texts(fig) if CJK.search(t)]
        assert (chinese if lang == "zh" else not chinese) and len(data) and fig.get_suptitle()
    fig, data = sensitivity.draw(crowded, lang)
    assert set(data.target) == set(crowded.sensitivity.target) and len(data) == 4 * TOP_CHART


def _drawn_texts(fig):
    """(text, window extent) of every non-empty text the renderer actually draws."""
    drawn, original = [], Text.draw

    def record(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), self.get_window_extent(renderer)))
    canvas = FigureCanvasAgg(fig)
    Text.draw = record
    try:
        canvas.draw()
    finally:
        Text.draw = original
    return drawn, fig.bbox


def _look(fig):
    """Texts that leave the figure, and pairs of texts whose boxes overlap."""
    drawn, page = _drawn_texts(fig)
    outside = [t for t, b in drawn if b.x0 < page.x0 - PX_TOLERANCE or b.y0 < page.y0 - PX_TOLERANCE
               or b.x1 > page.x1 + PX_TOLERANCE or b.y1 > page.y1 + PX_TOLERANCE]
    overlaps = []
    for (t1, b1), (t2, b2) in itertools.combinations(drawn, 2):
        width = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
        height = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
        if width > PX_TOLERANCE and height > PX_TOLERANCE:
            overlaps.append((t1, t2))
    return outside, overlaps


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_registered_chart_passes_a_look(crowded, lang):
    """No two labels overlap and none leaves the figure, with six packages to crowd them."""
    modules = charts.registered()
    assert [m.NAME for m in modules] == ["fan", "targets", "components", "below_line",
                                         "cost_effect", "sensitivity", "discovery"]
    faults = {}
    for module in modules:
        fig, _ = module.draw(crowded, lang)
        outside, overlaps = _look(fig)
        if outside or overlaps:
            faults[module.NAME] = {"outside": outside, "overlaps": overlaps}
    assert not faults


def test_the_look_catches_an_overlap_and_a_label_outside():
    """The check itself can fail: two labels on top of each other, one beyond the edge."""
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, "中卫市2022年方案"), ax.text(0.52, 0.5, "Ningxia plans")
    fig.text(0.9, 0.5, "a label that runs off the page")
    outside, overlaps = _look(fig)
    assert outside == ["a label that runs off the page"]
    assert overlaps == [("中卫市2022年方案", "Ningxia plans")]
