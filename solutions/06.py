# Solutions of notebook 06's exercises: each block replaces the answer cell that starts with "# ANSWER 06.k".

# %% 06.1
# Precision at the rank of each relevant item: 1/1, 2/3, 3/6; AP is their mean over the R = 3 relevant items.
answer_1 = (1 / 1 + 2 / 3 + 3 / 6) / 3

# %% 06.2
_both = me.TfidfEncoder().fit(captions.text[captions.split == "train"])
_F = _both.encode(list(captions.text), progress=False)
_q = np.flatnonzero((captions.style == "numeral") & (captions.split == "test"))
_g = np.flatnonzero((captions.style == "word") & (captions.split == "test"))
_rel = relevance(captions.y[_q], captions.y[_g])
_map = lambda F: retrieval_report(cosine_similarity(F[_q] + 1e-12 * ~F[_q].any(1, keepdims=True), F[_g]), _rel)["mAP"]
answer_2 = {"both_styles": _map(_F), "improves": _map(_F) - _map(text_feats["tfidf"]) > 0.02}
print(answer_2, "word-only:", round(_map(text_feats["tfidf"]), 3))
# "7" and "seven" are different tokens with no shared weight: TF-IDF matches only the surrounding words.

# %% 06.3
_E, _T = speech_feats["plain", 0][tgt], transcripts[tgt]
_S = (_E / np.linalg.norm(_E, axis=1, keepdims=True)) @ (_T / np.linalg.norm(_T, axis=1, keepdims=True)).T
_n = len(_S)
answer_3 = np.trace(_S) / _n - (_S.sum() - np.trace(_S)) / (_n * (_n - 1))
