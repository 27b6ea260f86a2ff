"""Generators for the worked applications of notebook 04: customers of two markets, captions in two
languages, and sensor series whose regimes drift.

Each generator is deterministic for its ``seed`` and fast (well under a second), so nothing is cached.
``SPECS`` lists ``(name, modality, reader, card)`` tuples that :mod:`course_lib.data` registers; this
module never imports :mod:`course_lib.data`. Every reader checks its options and raises a
``ValueError`` naming the option, the value and what is allowed.
"""
from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

__all__ = ["customers", "bilingual_captions", "regimes", "regime_features", "SEGMENTS", "CUSTOMER_FEATURES",
           "FRENCH_WORDS", "ANCHORS", "REGIMES", "SPECS"]


def _bad(dataset, option, value, allowed):
    return ValueError(f"data set {dataset!r}: {option} must be {allowed}, got {value!r}")


def _int(dataset, option, value, low, high=None):
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not ok or value < low or (high is not None and value > high):
        raise _bad(dataset, option, value, f"an integer in [{low}, {high}]" if high is not None else
                   f"an integer >= {low}")
    return int(value)


def _float(dataset, option, value, low, high):
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not ok or not low <= value <= high:
        raise _bad(dataset, option, value, f"a number in [{low}, {high}]")
    return float(value)


# ----------------------------------------------------------------- customers of two markets
SEGMENTS = ("young online", "families", "affluent", "seniors")
CUSTOMER_FEATURES = ("age (years)", "income (k/year)", "visits per month", "basket (currency)", "online share")
_SEG_MEAN = np.array([[28, 34, 4.0, 40, 0.70],
                      [41, 52, 7.0, 85, 0.40],
                      [50, 95, 4.5, 130, 0.45],
                      [67, 40, 8.0, 50, 0.15]], dtype=float)
_SEG_STD = np.array([10, 21, 3.2, 35, 0.21], dtype=float)
_MIX_SOURCE = (0.25, 0.25, 0.25, 0.25)
_MIX_TARGET = (0.55, 0.25, 0.05, 0.15)


def customers(n_source: int = 800, n_target: int = 500, shift: float = 1.0, seed: int = 0) -> Bunch:
    """Customers of a labelled market A (source) and an unlabelled market B (target).

    Each customer belongs to one of the four ``SEGMENTS`` and has the five ``CUSTOMER_FEATURES``
    drawn from a Gaussian around the segment's profile. Market B differs in three ways, each
    scaled by ``shift`` (0: same distribution as A): money is in another currency (income and
    basket x ``1 + 0.6 shift``), the segment mix differs (``_MIX_TARGET`` instead of equal
    shares, blended by ``min(shift, 1)``), and a loyalty programme adds ``2.5 shift`` visits per
    month to everyone.

    Returns
    -------
    Bunch with ``X_source`` (n_source, 5), ``y_source``, ``X_target`` (n_target, 5), ``y_target``
    (the segment, for scoring only), ``feature_names``, ``segments``.
    """
    n_source = _int("customers", "n_source", n_source, 8)
    n_target = _int("customers", "n_target", n_target, 8)
    shift = _float("customers", "shift", shift, 0.0, 3.0)
    seed = _int("customers", "seed", seed, 0)
    rng = np.random.default_rng(seed)
    w = min(shift, 1.0)
    mix_t = (1 - w) * np.array(_MIX_SOURCE) + w * np.array(_MIX_TARGET)

    def market(n, mix):
        y = np.sort(rng.choice(len(SEGMENTS), n, p=mix))
        X = _SEG_MEAN[y] + rng.normal(size=(n, 5)) * _SEG_STD
        X[:, 4] = np.clip(X[:, 4], 0, 1)
        return X, y

    Xs, ys = market(n_source, np.array(_MIX_SOURCE))
    Xt, yt = market(n_target, mix_t)
    Xt[:, [1, 3]] *= 1 + 0.6 * shift
    Xt[:, 2] += 2.5 * shift
    return Bunch(X_source=Xs, y_source=ys, X_target=Xt, y_target=yt, feature_names=list(CUSTOMER_FEATURES),
                 segments=list(SEGMENTS))


# ----------------------------------------------------------------- captions in two languages
_EN_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
FRENCH_WORDS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf")
ANCHORS = {"chiffre": "digit", "nombre": "number", "photo": "photo", "panneau": "sign"}  # French -> English
_COLOURS = {"en": ("red", "blue", "green", "black", "white"), "fr": ("rouge", "bleu", "vert", "noir", "blanc")}
_TEMPLATES = {
    "en": ("a photo of the number {w}", "someone wrote {w} on the {c} board", "the digit {d} in {c} ink",
           "{w} drawn by hand on paper", "a {c} sign showing {d}", "the house number is {d}",
           "{w} ({d}) written on a cheque", "a child counting to {w}"),
    "fr": ("une photo du nombre {w}", "quelqu'un a écrit {w} au tableau {c}", "le chiffre {d} à l'encre {c}",
           "{w} dessiné à la main sur du papier", "un panneau {c} qui montre {d}", "le numéro de la maison est {d}",
           "{w} ({d}) écrit sur un chèque", "un enfant qui compte jusqu'à {w}"),
}


def bilingual_captions(n_per_class: int = 40, languages: tuple = ("en", "fr"), seed: int = 0) -> Bunch:
    """Digit captions written from templates in English and French.

    For each language, ``n_per_class`` captions per digit, each from a random template of the
    language's eight (a number word ``{w}``, a numeral ``{d}``, both, and a colour ``{c}``). The
    languages share only the numerals (``"7"`` is the same token in both) and the words that are
    the same in both (``photo``, ``six``); ``ANCHORS`` is a four-entry bilingual word list.

    Returns
    -------
    Bunch with ``text`` (n,), ``y`` (digit), ``language`` ("en"/"fr"), ``template`` (index),
    ``anchors`` (dict, French -> English), ``classes``.
    """
    n_per_class = _int("bilingual_captions", "n_per_class", n_per_class, 1, 1000)
    if (not isinstance(languages, (tuple, list)) or not languages
            or any(lang not in _TEMPLATES for lang in languages) or len(set(languages)) != len(languages)):
        raise _bad("bilingual_captions", "languages", languages,
                   f"a non-empty tuple of distinct languages from {sorted(_TEMPLATES)}")
    seed = _int("bilingual_captions", "seed", seed, 0)
    rng = np.random.default_rng(seed)
    text, y, lang, tpl = [], [], [], []
    for language in languages:
        words = _EN_WORDS if language == "en" else FRENCH_WORDS
        for digit in range(10):
            for _ in range(n_per_class):
                t = int(rng.integers(len(_TEMPLATES[language])))
                c = _COLOURS[language][int(rng.integers(5))]
                text.append(_TEMPLATES[language][t].format(w=words[digit], d=digit, c=c))
                y.append(digit)
                lang.append(language)
                tpl.append(t)
    return Bunch(text=np.array(text), y=np.array(y, dtype=np.int64), language=np.array(lang),
                 template=np.array(tpl, dtype=np.int64), anchors=dict(ANCHORS), classes=list(_EN_WORDS))


# ----------------------------------------------------------------- sensor regimes that drift
REGIMES = ("idle", "normal", "overload")
# level, noise std, oscillation period (samples), oscillation amplitude
_REGIME_PARAMS = np.array([[1.0, 0.5, 32.0, 0.5],
                           [2.0, 0.7, 12.0, 1.0],
                           [3.0, 1.0, 6.0, 0.8]])
_STAY = 0.85  # probability that the next window keeps the regime


def regimes(n_windows: int = 300, length: int = 64, drift: float = 1.0, seed: int = 0) -> Bunch:
    """A sensor signal cut into windows, each in one of three ``REGIMES``, in an earlier and a later period.

    The regime follows a Markov chain over windows (it stays with probability 0.85). A window of
    regime ``r`` is ``level_r + amp_r sin(2 pi t / period_r + phase) + noise_r e_t``. In the later
    period the sensor has drifted, by ``drift`` times: its level reads ``0.8 drift`` higher, its
    noise is ``1 + 0.5 drift`` times larger, every period is ``1 + 0.25 drift`` times longer, and
    the overload regime is more frequent.

    Returns
    -------
    Bunch with ``X_early``, ``X_late`` (n_windows, length) windows in time order, ``y_early``,
    ``y_late`` (regime, for scoring only), ``regimes``.
    """
    n_windows = _int("regimes", "n_windows", n_windows, 10)
    length = _int("regimes", "length", length, 16, 1024)
    drift = _float("regimes", "drift", drift, 0.0, 3.0)
    seed = _int("regimes", "seed", seed, 0)
    rng = np.random.default_rng(seed)
    t = np.arange(length)

    def period(favour_overload, level_add, noise_mul, period_mul):
        y = np.empty(n_windows, dtype=np.int64)
        y[0] = 0
        p_next = np.array([0.45, 0.35, 0.20]) if not favour_overload else np.array([0.25, 0.35, 0.40])
        for i in range(1, n_windows):
            y[i] = y[i - 1] if rng.random() < _STAY else rng.choice(3, p=p_next)
        level, noise, per, amp = (_REGIME_PARAMS[y, j][:, None] for j in range(4))
        phase = rng.uniform(0, 2 * np.pi, (n_windows, 1))
        X = (level + level_add + amp * np.sin(2 * np.pi * t[None] / (per * period_mul) + phase)
             + noise * noise_mul * rng.normal(size=(n_windows, length)))
        return X, y

    Xe, ye = period(False, 0.0, 1.0, 1.0)
    Xl, yl = period(drift > 0, 0.8 * drift, 1 + 0.5 * drift, 1 + 0.25 * drift)
    return Bunch(X_early=Xe, y_early=ye, X_late=Xl, y_late=yl, regimes=list(REGIMES))


def regime_features(W) -> np.ndarray:
    """Summary features of each window: level, spread, lag-1 autocorrelation, dominant frequency.

    Parameters
    ----------
    W : array of shape (n, length)

    Returns
    -------
    ndarray of shape (n, 4): mean, standard deviation, lag-1 autocorrelation, and the frequency
    (cycles per sample) of the largest peak of the periodogram, DC excluded.

    Examples
    --------
    >>> t = np.arange(64)
    >>> float(regime_features(np.sin(2 * np.pi * t / 8)[None])[0, 3])
    0.125
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[1] < 4:
        raise ValueError(f"W must be a 2-d array of windows (n, length >= 4), got shape {W.shape}")
    mean, sd = W.mean(1), W.std(1)
    C = W - mean[:, None]
    ac = (C[:, 1:] * C[:, :-1]).sum(1) / np.maximum((C ** 2).sum(1), 1e-12)
    power = np.abs(np.fft.rfft(C, axis=1)) ** 2
    freq = np.fft.rfftfreq(W.shape[1])[1:][power[:, 1:].argmax(1)]
    return np.stack([mean, sd, ac, freq], axis=1)


SPECS: list = [
    ("customers", "tabular", customers, """\
**customers of two markets** (generated for this course, MIT). Four segments (young online,
families, affluent, seniors), five features (age, income, visits per month, basket, online
share) drawn from a Gaussian per segment. Market A (source, labelled, 800 customers, equal
mix) and market B (target, 500): money in another currency (income and basket x1.6), a
different segment mix (55/25/5/15 %), and +2.5 visits a month for everyone; `shift` scales
all three (0 = same market). Arrays: `X_source`, `y_source`, `X_target`, `y_target`,
`feature_names`, `segments`."""),
    ("bilingual_captions", "text", bilingual_captions, """\
**bilingual digit captions** (written for this course, MIT). 40 captions per digit and
language from 8 templates each in English and French (number word, numeral, both, and a
colour); the languages share only the numerals and words spelled the same (`photo`, `six`),
plus a four-word bilingual anchor list (`anchors`). 800 captions by default. Arrays: `text`,
`y`, `language`, `template`, `anchors`."""),
    ("regimes", "timeseries", regimes, """\
**drifting sensor regimes** (generated for this course, MIT). A signal in three regimes
(idle, normal, overload: level + sinusoid + noise) that switch as a Markov chain over
windows of 64 samples; 300 windows in an earlier and 300 in a later period. In the later
period the sensor has drifted (`drift`=1: level +0.8, noise x1.5, periods x1.25) and overload
is more frequent. Arrays: `X_early`, `y_early`, `X_late`, `y_late` (n, 64), `regimes`;
`app_data.regime_features` summarises windows."""),
]
