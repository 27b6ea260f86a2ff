# Solutions of notebook 07's exercises: each block replaces the answer cell that starts with "# ANSWER 07.k".

# %% 07.1
# Ranked by similarity: 0.9 (no), 0.75 (yes), 0.6 (no), 0.4 (no), 0.2 (yes), 0.1 (yes): relevant at ranks 2, 5, 6.
answer_1 = (1 / 2 + 2 / 5 + 3 / 6) / 3

# %% 07.2
_scores = {}
for _k in (4, 8, 16, 32, 64):
    _space = CCA(_k, reg=CCA_REG).fit(Xi_fit, Xt_fit)
    _df = evaluate(lambda a, b, s=_space: (s.transform(a, 0), s.transform(b, 1)), split=VAL)
    _scores[_k] = _df[(_df.domain == "printed") & (_df.direction == "text -> image") & (_df.level == "class")]["mAP"].mean()
print({k: round(v, 3) for k, v in _scores.items()})
_best = max(_scores, key=_scores.get)
answer_2 = {"best_k": _best, "same_as_instance": _best == CCA_K}

# %% 07.3
_sel = fusion[(fusion.domain == "textured") & (fusion.direction == "text -> image") & (fusion.level == "instance")]
_means = _sel.groupby("method")["R@1"].mean()
answer_3 = _means["attention"] - _means[["ImageNet only", "source CNN only", "HOG only"]].max()
