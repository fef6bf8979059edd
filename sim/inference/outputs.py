"""A fit's files: posterior samples, ArviZ InferenceData, diagnostics, a check figure, a scenario.

- `posterior.parquet`: the final particles (one column per parameter, weight, distance);
- `inference_data.nc`: ArviZ's InferenceData layout (netCDF groups `posterior`, `prior`,
  `sample_stats`, `observed_data`; chain x draw), written with xarray + h5netcdf so that
  `arviz.from_netcdf` reads it; the posterior group holds equally weighted resampled draws;
- `diagnostics.json`: tolerance, acceptance and ESS per generation, quantiles per parameter, the
  not-identified warnings;
- `ppc.png`: observed new follows and unfollows per day against the posterior predictive band;
- `fitted.toml`: `extends` the scenario and sets each parameter to its posterior median.

Files are written into a hidden folder beside `--out` and moved in only when all are finished,
so Ctrl-C or an error leaves the previous outputs as they were.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.experiments.executors import Executor, run_ordered
from sim.inference.fit import FitResult, diagnostics
from sim.inference.fitted import fitted_toml
from sim.inference.scores import predictive_quantile
from sim.inference.simulator import Simulator, Trajectory, simulate_job

__all__ = ["FIT_FILES", "PPC_DRAWS", "published", "write_fit"]

FIT_FILES = ("posterior.parquet", "inference_data.nc", "diagnostics.json", "ppc.png", "fitted.toml")
PPC_DRAWS = 100


@contextlib.contextmanager
def published(target: Path) -> Iterator[Path]:
    """A fresh hidden folder beside `target`, moved into its place only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = target.parent / f".{target.name}.{secrets.token_hex(4)}.partial"
    stage.mkdir()
    try:
        yield stage
        target.mkdir(exist_ok=True)
        for item in sorted(stage.iterdir()):
            os.replace(item, target / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def predictive(
    simulator: Simulator, draws: np.ndarray, seed: int, executor: Executor
) -> list[Trajectory]:
    """One simulation per posterior draw, seeds `seed + i` (draw and noise uncertainty both)."""
    jobs = [(simulator, tuple(map(float, v)), seed + i) for i, v in enumerate(draws)]
    return run_ordered(executor, simulate_job, jobs)


def _inference_data(result: FitResult, path: Path) -> None:
    import xarray as xr  # the `fit` extra; imported only when writing

    post = result.posterior
    n = len(post.weights)
    draws = post.draws(n, "inference_data")
    prior = post.generations[0]
    names = list(result.config.paths)

    def group(values: np.ndarray) -> Any:
        data = {name: (("chain", "draw"), values[None, :, j]) for j, name in enumerate(names)}
        return xr.Dataset(data, coords={"chain": [0], "draw": np.arange(len(values))})

    prior_values = np.column_stack([p.from_z(prior.z[:, j]) for j, p in enumerate(post.priors)])
    obs = result.observed
    observed: dict[str, Any] = {}
    if obs.history is not None:
        dates = pd.to_datetime(list(obs.history.dates))
        observed["new_follows"] = ("date", obs.history.new_follows)
        observed["unfollows"] = ("date", obs.history.unfollows)
        observed_ds = xr.Dataset(observed, coords={"date": dates})
    else:
        observed_ds = xr.Dataset({"facts": ("fact", [f.value for f in obs.facts])})
    stats = xr.Dataset(
        {
            "distance": (("chain", "draw"), post.last.distances[None, :]),
            "weight": (("chain", "draw"), post.weights[None, :]),
        },
        coords={"chain": [0], "draw": np.arange(n)},
    )
    groups = {
        "posterior": group(draws),
        "prior": group(prior_values),
        "sample_stats": stats,
        "observed_data": observed_ds,
    }
    for i, (name, ds) in enumerate(groups.items()):
        ds.attrs["inference_library"] = "fansim ABC-SMC"
        ds.to_netcdf(path, group=name, mode="w" if i == 0 else "a", engine="h5netcdf")


def _ppc_figure(result: FitResult, sims: list[Trajectory], path: Path) -> None:
    obs = result.observed
    fig = Figure(figsize=(9, 6))  # no pyplot: nothing global, as in sim.reports.plotting
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 1, sharex=True)
    for ax, name in zip(axes, ("follows", "unfollows"), strict=True):
        series = np.vstack([getattr(t, name) for t in sims]).astype(float)
        days = np.arange(series.shape[1])
        lo, mid, hi = predictive_quantile(series, [0.1, 0.5, 0.9], axis=0)
        ax.fill_between(days, lo, hi, alpha=0.3, label="posterior predictive 80%")
        ax.plot(days, mid, lw=1, label="median")
        if obs.history is not None:
            h_days = obs.offset + np.arange(len(obs.history.dates))
            data = obs.history.new_follows if name == "follows" else obs.history.unfollows
            ax.plot(h_days, data, "k.", ms=2, label="observed")
        ax.set_ylabel(f"{name} per day")
        ax.legend(loc="upper left", fontsize=8)
    axes[-1].set_xlabel(f"days from {obs.start}")
    fig.suptitle("Posterior predictive check")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})


def write_fit(
    result: FitResult,
    out: Path,
    executor: Executor,
    check: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Write the fit's files into `out` (whole or not at all); return the diagnostics."""
    diag = diagnostics(result)
    medians = {p: diag["parameters"][p]["q50"] for p in result.config.paths}
    post = result.posterior
    draws = post.draws(PPC_DRAWS, "ppc")
    sims = predictive(result.simulator, draws, post.seed, executor)
    check()
    with published(out) as stage:
        table = pd.DataFrame(post.values(), columns=list(result.config.paths))
        table["weight"] = post.weights
        table["distance"] = post.last.distances
        table.to_parquet(stage / "posterior.parquet", index=False)
        _inference_data(result, stage / "inference_data.nc")
        (stage / "diagnostics.json").write_text(json.dumps(diag, indent=2) + "\n", encoding="utf-8")
        _ppc_figure(result, sims, stage / "ppc.png")
        sim = result.simulator
        text = fitted_toml(sim.scenario_path, sim.base, medians, sim.integers, out)
        (stage / "fitted.toml").write_text(text, encoding="utf-8")
    return diag
