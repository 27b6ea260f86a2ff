"""course_lib: the tested code behind the notebooks of
"Transfer Learning for Clustering and Cross-Modal Retrieval".

Modules (one concept each): ``cache`` (on-disk cache, verified downloads),
``data`` (data sets by name), ``digits`` (the three image domains), ``speech``
(offline speech synthesis and audio features), ``encoders`` (feature
extractors), ``alignment`` (MMD, CORAL), ``metrics`` (clustering and
classification scores), ``clustering`` (k-means / GMM / spectral, seeded k-means), ``training`` (seeds, devices, training loops),
``shift`` (domain-classifier diagnostics), ``neighbours`` (k-NN mixing of domains and classes),
``reporting`` (mean +/- sample std over seeds, verdicts), ``exercises`` (hidden-answer checks), ``viz`` (figures);
``adversarial``, ``class_aware``, ``selection``, ``source_shaping`` (notebook 03); ``transfer_clustering``,
``coclustering``, ``app_data`` (04); ``deep_clustering``, ``autoencoder``, ``dec``, ``contrastive`` (05);
``paired_data`` (with ``paired_images``, ``paired_captions``, ``spoken_captions``), ``features``,
``modality_encoders``, ``speech_encoders``, ``retrieval``, ``retrieval_metrics``, ``shared_space`` (with
``contrastive_heads``), ``fusion``,
``rerank`` (06-07); ``multimodal_transfer``, ``trimodal`` (08);
``real_data`` (MNIST, USPS, SVHN, Speech Commands for learners online). Import them by name; the package
namespace re-exports only the most used functions. Importing the package loads no data, downloads nothing and
changes no global setting.
"""
from .alignment import CORAL, coral_loss, gaussian_kernel, median_bandwidth, mmd2, mmd_permutation_test
from .shift import domain_classifier_accuracy, proxy_a_distance
from .neighbours import neighbour_shares, same_class_other_domain_rate
from .reporting import fmt_mean_std, gap_share, mean_std, verdict
from .metrics import (accuracy, ari, cluster_accuracy, cluster_label_mapping, clustering_report, macro_f1, nmi,
                      silhouette)

__version__ = "0.1.0"

__all__ = [
    "CORAL", "coral_loss", "gaussian_kernel", "median_bandwidth", "mmd2", "mmd_permutation_test",
    "accuracy", "ari", "cluster_accuracy", "cluster_label_mapping", "clustering_report", "macro_f1", "nmi",
    "silhouette", "domain_classifier_accuracy", "proxy_a_distance",
    "neighbour_shares", "same_class_other_domain_rate", "fmt_mean_std", "gap_share", "mean_std", "verdict",
]
