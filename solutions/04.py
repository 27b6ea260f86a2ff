# Solutions of notebook 04's exercises: each block replaces the answer cell that starts with "# ANSWER 04.k".

# %% 04.1
_acc = res.groupby("method")["ACC"].mean()
answer_1 = _acc["model transfer"] - _acc["k-means (plain)"]
print(f"{answer_1:.3f}")

# %% 04.2
_b = data.load("customers", seed=0)
_applied = ModelTransferClustering(max_iter=0).fit(_b.X_source, _b.y_source, _b.X_target).labels_
_refined = ModelTransferClustering().fit(_b.X_source, _b.y_source, _b.X_target).labels_
_a, _r = cluster_accuracy(_b.y_target, _applied), cluster_accuracy(_b.y_target, _refined)
answer_2 = {"applied": _a, "refined": _r, "refining_helps": _r - _a > 0.02}
print(answer_2)

# %% 04.3
import re
_b = data.load("bilingual_captions", seed=0)
_fr = _b.text[_b.language == "fr"]
answer_3 = float(np.mean([bool(re.search(r"\b\d+\b", t)) for t in _fr]))
print(answer_3)
