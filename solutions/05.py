# Solutions of notebook 05's exercises: each block replaces the answer cell that starts with "# ANSWER 05.k".

# %% 05.1
# squared distances: ||(1,0) - (0,0)||^2 = 1 and ||(1,0) - (3,0)||^2 = 4; with alpha = 1 the kernel is 1 / (1 + d^2)
w = np.array([1 / (1 + 1), 1 / (1 + 4)])
answer_1 = tuple(w / w.sum())      # (0.714, 0.286)
print(answer_1)

# %% 05.2
m = res.groupby("method")["ACC"].mean()
answer_2 = m["full deep transfer clustering (refined CNN + DEC)"] - m["UMAP + k-means on pixels"]
print(round(answer_2, 3))

# %% 05.3
s_ex = select_k(feats["feature transfer (notebook 01's source CNN)", SEED], ks=range(8, 13))
answer_3 = (s_ex.best_silhouette, s_ex.best_silhouette == 10)
print(dict(zip(s_ex.ks, s_ex.silhouette.round(3))), answer_3)
