# Solutions of notebook 00's exercises: each block replaces the answer cell that starts with "# ANSWER 00.k".

# %% 00.1
# No re-split reaches the observed statistic: p = (1 + 0) / (1 + B).
answer_1 = 1 / (1 + N_PERM)

# %% 00.2
from_printed = shift_table.loc[["printed vs handwritten", "printed vs textured"], "MMD²"]
answer_2 = from_printed.idxmax().removeprefix("printed vs ")

# %% 00.3
answer_3 = proxy_a_distance(0.5)   # 2 (1 - 2 * 0.5) = 0

# %% 00.4
fa, fb = np.isin(sp.voice, ["en+f1", "en+f2"]), np.isin(sp.voice, ["en+f3", "en+f4"])
scaler = StandardScaler().fit(np.vstack([F_audio[fa], F_audio[fb]]))
stat, p = mmd_permutation_test(scaler.transform(F_audio[fa]), scaler.transform(F_audio[fb]),
                               n_permutations=N_PERM, seed=SEED)
answer_4 = {"mmd2": stat, "p": p, "shift": p < 0.05}
print(answer_4)
