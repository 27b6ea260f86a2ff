# Solutions of notebook 01's exercises: each block replaces the answer cell that starts with "# ANSWER 01.k".

# %% 01.1
# Table (cluster x class): cluster 0 -> {0: 1, 1: 2}, cluster 1 -> {0: 2, 2: 1}, cluster 2 -> {2: 2}.
# Best one-to-one map: 0 -> 1, 1 -> 0, 2 -> 2, which gets 2 + 2 + 2 = 6 of 8 right.
answer_1 = 6 / 8
print(answer_1, cluster_accuracy(y_true, y_pred))

# %% 01.2
answer_2 = digits_pairs.sort_values("silhouette").iloc[-1]["acc"]

# %% 01.3
answer_3 = bool(digits_pairs.silhouette.idxmax() == digits_pairs.acc.idxmax())

# %% 01.4
lab = few_labels(y_hw, 5, seed=1000)
rest = np.setdiff1d(np.arange(len(y_hw)), lab)
Z = digit_sets["ImageNet EfficientNet"]
seeded = seeded_kmeans(Z, class_centres(Z[lab], y_hw[lab]))
acc_inet = accuracy(y_hw[rest], seeded[rest])
acc_src = few.query("m == 5 and seed == 0")["seeded k-means (names)"].item()
answer_4 = {"acc": acc_inet, "better": acc_inet > acc_src}
print(answer_4, "source CNN:", acc_src)
