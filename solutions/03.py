# Solutions of notebook 03's exercises: each block replaces the answer cell that starts with "# ANSWER 03.k".

# %% 03.1
import torch
x_ex = torch.tensor(2.0, requires_grad=True)
(3 * grad_reverse(x_ex, 0.4) ** 2).backward()
answer_1 = x_ex.grad.item()   # -0.4 * 6 * 2 = -4.8

# %% 03.2
net_ex = recipes.source_cnn(0)
scores_ex = {t: transferability_score(extract_features(net_ex, targets[t].X_test), predict_proba(net_ex, targets[t].X_test))
             for t in ("handwritten", "textured")}
answer_2 = (scores_ex["handwritten"], scores_ex["textured"], max(scores_ex, key=scores_ex.get))
print(scores_ex)

# %% 03.3
answer_3 = int((choice1["pick"] == choice1["oracle pick"]).sum())   # every criterion, every seed
