"""Discovery chart: PRIM's peeling trade-off, density against coverage, with the box chosen."""
from __future__ import annotations

from .style import LABEL_SIZE, finish, labels_for, new_figure, package_colour

NAME = "discovery"

POINT_SIZE = 2.5     # points: one peeling step
CHOSEN_SIZE = 7      # points: the box chosen

TEXT = {
    "zh": {"prim_x": "覆盖率（达成运行中落在框内的比例）", "prim_y": "密度（框内达成的比例）",
           "prim_title": "{target}：PRIM剥离的覆盖率与密度权衡",
           "prim_source": "来源：sim discover（PRIM，Friedman与Fisher 1999）；大点为所选框"},
    "en": {"prim_x": "Coverage (share of runs meeting it inside the box)",
           "prim_y": "Density (share meeting it inside the box)",
           "prim_title": "{target}: PRIM peeling, coverage against density",
           "prim_source": "Source: sim discover (PRIM, Friedman and Fisher 1999); large dot: the box chosen"},
}


def draw(inputs, lang):
    """The chart of ``inputs.discovery`` (a peeling trajectory), or None without one."""
    trajectory = getattr(inputs, "discovery", None)
    if trajectory is None or not len(trajectory):
        return None
    return discovery_chart(trajectory, lang)


def discovery_chart(trajectory, lang="zh"):
    """Density against coverage along PRIM's peeling, the chosen box marked.

    Parameters
    ----------
    trajectory : pandas.DataFrame
        ``step, coverage, density, mass, restricted, chosen, target`` (``sim.discovery.discover``).
    lang : {"zh", "en"}

    Returns
    -------
    figure : matplotlib.figure.Figure
    data : pandas.DataFrame
        The trajectory drawn.
    """
    L = labels_for(lang, TEXT)
    fig, axes, holder = new_figure()
    ax = axes[0, 0]
    ax.plot(trajectory.coverage, trajectory.density, "-o", markersize=POINT_SIZE, color=package_colour(0))
    chosen = trajectory[trajectory.chosen]
    ax.plot(chosen.coverage, chosen.density, "o", markersize=CHOSEN_SIZE, color=package_colour(1))
    ax.set_xlabel(L["prim_x"], fontsize=LABEL_SIZE)
    ax.set_ylabel(L["prim_y"], fontsize=LABEL_SIZE)
    finish(fig, holder, L["prim_title"].format(target=trajectory.target.iloc[0]), [L["prim_source"]], [], L)
    return fig, trajectory
