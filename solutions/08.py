# Solutions of notebook 08's exercises: each block replaces the answer cell that starts with "# ANSWER 08.k".

# %% 08.1
_m = {s: results[(results.setting == s) & (results.direction == "text -> image") & (results.level == "class")]["mAP"].mean()
      for s in ("zero-shot", "semi-supervised", "supervised")}
answer_1 = gap_share(_m["semi-supervised"], _m["zero-shot"], _m["supervised"])
print(f"semi-supervised closes {answer_1:.0%} of the gap")

# %% 08.2
_q, _g = YS[2][TEST[2]], YS[0][TEST[0]]
answer_2 = np.mean([(_g == c).mean() for c in _q])  # about 0.1: ten balanced digits

# %% 08.3
_rows = semi_run(2, SEEDS[0], pseudo=False)
_map = [r["mAP"] for r in _rows if r["direction"] == "speech -> image" and r["level"] == "class"][0]
_ceiling = results[(results.setting == "supervised") & (results.direction == "speech -> image") & (results.level == "class")]["mAP"].mean()
print(f"two labelled pairs per class, no pseudo-labels: {_map:.3f}; supervised ceiling: {_ceiling:.3f}")
answer_3 = {"map": _map, "within_5": _ceiling - _map <= 0.05}
