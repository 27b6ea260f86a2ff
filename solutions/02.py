# Solutions of notebook 02's exercises: each block replaces the answer cell that starts with "# ANSWER 02.k".

# %% 02.1
# Pairs: (x1, x2) = (0, 1), (x3, x4) = (2, 3); (y1, y2) = (0, 1), (y3, y4) = (5, 6); k(a, b) = exp(-(a - b)^2 / 2).
k = lambda a, b: np.exp(-(a - b) ** 2 / 2)
h1 = k(0, 1) + k(0, 1) - k(0, 1) - k(1, 0)
h2 = k(2, 3) + k(5, 6) - k(2, 6) - k(3, 5)
answer_1 = (h1 + h2) / 2

# %% 02.2
r = results[results.target == "handwritten"].groupby("method")["accuracy"].mean()
answer_2 = (r["Deep CORAL"] - r["fine-tune, λ = 0"]) / (r["target supervised (ceiling)"] - r["source only"])

# %% 02.3
# As sigma -> 0, k(a, b) -> 1 when a == b, else 0. Within x: only the m diagonal terms survive (m / m^2);
# within y: n / n^2; across: the 10 shared points give 10 matching pairs (10 / (m n)), counted twice.
answer_3 = 1 / 40 + 1 / 50 - 2 * 10 / (40 * 50)

# %% 02.4
from sklearn.linear_model import LogisticRegression
_tex = TARGETS["textured"]
_plain, _coral = [], []
for s in SEEDS:
    _net = recipes.source_cnn(s)
    _fs, _ftr, _fte = (extract_features(_net, X) for X in (printed.X, _tex.X_train, _tex.X_test))
    _score = lambda F: LogisticRegression(max_iter=2000).fit(F, printed.y).score(_fte, _tex.y_test)
    _plain.append(_score(_fs))
    _coral.append(_score(CORAL(reg=1e-2).fit(_fs, _ftr).transform(_fs)))
_v = verdict(_coral, _plain, "CORAL", "plain")
print(_v)
answer_4 = {"plain": _plain, "coral": _coral, "beyond_spread": _v.endswith("beyond the seed spread") and "above" in _v}
