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
# Only the diagonal terms survive: k(x_i, x_i) = 1 contributes m / m^2 and n / n^2; the cross terms vanish.
answer_3 = 1 / 40 + 1 / 50

# %% 02.4
from sklearn.linear_model import LogisticRegression
_net = recipes.source_cnn(0)
_tex = TARGETS["textured"]
_fs, _ftr, _fte = (extract_features(_net, X) for X in (printed.X, _tex.X_train, _tex.X_test))
_score = lambda F: LogisticRegression(max_iter=2000).fit(F, printed.y).score(_fte, _tex.y_test)
_plain, _coral = _score(_fs), _score(CORAL(reg=1e-2).fit(_fs, _ftr).transform(_fs))
answer_4 = {"plain": _plain, "coral": _coral, "helps": _coral - _plain > 0.02}
print(answer_4)
