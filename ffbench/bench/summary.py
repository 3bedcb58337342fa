"""Join the workers' records into the result: one row per step configuration and per activation kernel.

Step rows: each peer's time (``median_s``/``min_s``, ``first_s``, samples), ``ratio[peer]`` = peer time /
ffbench time (above 1: ffbench is faster), ``gflops[peer]`` (GEMM FLOPs of the step per second) and
``ceiling_fraction[peer]`` (of the GEMM ceiling on the run's thread count, measured in the same run), and
``first_loss_spread`` (relative spread of the peers' first-step losses: the same-work check).  Summary per
dtype and peer: geometric mean, worst (lowest) and best ratio.  Activation rows: GB/s per peer under the
traffic model of ``grid.arrays_moved``.
"""
from __future__ import annotations

import math

from . import grid

STEP_FIELDS = ("median_s", "min_s", "first_s", "samples", "first_loss", "error")
ACT_FIELDS = ("gbps", "median_s", "min_s", "first_s", "error")


def geomean(xs) -> float | None:
    xs = [x for x in xs if x and x > 0 and math.isfinite(x)]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def best_ceilings(measurements) -> dict:
    """The higher of the ceilings measured before and after the run, per entry ({} if none)."""
    if not measurements:
        return {}
    best = {key: {k: max(m[key][k] for m in measurements) for k in measurements[0][key]}
            for key in ("gemm", "gemm_best")}
    return {**{k: v for k, v in measurements[0].items() if k != "kind"}, **best}


def _step_rows(records_by_peer) -> dict:
    rows = {}
    for peer, records in records_by_peer.items():
        for r in records:
            if r["kind"] == "step":
                cfg = r["config"]
                row = rows.setdefault(grid.key(cfg), {**cfg, "label": grid.label(cfg),
                                                       "flops": grid.step_flops(cfg["batch"], cfg["sizes"])})
                row[peer] = {k: r[k] for k in STEP_FIELDS if k in r}
    return rows


def _finish_step_row(row, peers, stat, gemm_ceiling):
    times = {p: row[p][stat] for p in peers if row.get(p, {}).get(stat)}
    ff = times.get("ffbench")
    row["ratio"] = {p: t / ff for p, t in times.items() if p != "ffbench"} if ff else {}
    row["gflops"] = {p: row["flops"] / t / 1e9 for p, t in times.items()}
    row["ceiling_fraction"] = {p: g / gemm_ceiling for p, g in row["gflops"].items()} if gemm_ceiling else {}
    losses = [row[p]["first_loss"] for p in peers if row.get(p, {}).get("first_loss") is not None]
    if losses:
        row["first_loss_spread"] = (max(losses) - min(losses)) / max(abs(min(losses)), 1e-300)


def _act_rows(records_by_peer, stat) -> dict:
    rows = {}
    for peer, records in records_by_peer.items():
        for r in records:
            if r["kind"] == "act":
                row = rows.setdefault((r["dtype"], r["activation"], r["direction"]),
                                      {"activation": r["activation"], "dtype": r["dtype"], "direction": r["direction"],
                                       "bytes": r["bytes"]})
                if stat in r:
                    r = {**r, "gbps": r["bytes"] / r[stat] / 1e9}
                row[peer] = {k: r[k] for k in ACT_FIELDS if k in r}
    return rows


def ratio_summary(steps, peers) -> dict:
    """Per dtype and peer: ``{"geomean", "worst", "worst_at", "best", "n"}`` of the ratios (worst = lowest,
    ``worst_at`` its configuration)."""
    out = {}
    for dt in sorted({r["dtype"] for r in steps}):
        rows = [r for r in steps if r["dtype"] == dt]
        out[dt] = {}
        for p in peers:
            ratios = {grid.key(r): r["ratio"][p] for r in rows if p in r["ratio"]}
            if ratios:
                worst = min(ratios, key=ratios.get)
                out[dt][p] = {"geomean": geomean(ratios.values()), "worst": ratios[worst], "worst_at": worst,
                              "best": max(ratios.values()), "n": len(ratios)}
    return out


def build(records_by_peer, ceilings, peers, threads, stat="median_s") -> dict:
    """``{"ceilings", "steps", "activations", "summary"}`` from the records (statistic ``stat``)."""
    if ceilings and stat == "min_s":  # best-of ceilings to go with best-of times
        ceilings = {**ceilings, "gemm": ceilings["gemm_best"]}
    order = {grid.key(c): i for i, c in enumerate(grid.configs())}
    steps = sorted(_step_rows(records_by_peer).values(), key=lambda r: (order.get(grid.key(r), len(order)), grid.key(r)))
    for row in steps:
        _finish_step_row(row, peers, stat, ceilings.get("gemm", {}).get(f"{row['dtype']}/{threads}"))
    acts = sorted(_act_rows(records_by_peer, stat).values(), key=lambda r: (r["dtype"], r["activation"], r["direction"] != "forward"))
    return {"ceilings": ceilings, "steps": steps, "activations": acts,
            "summary": ratio_summary(steps, [p for p in peers if p != "ffbench"])}
