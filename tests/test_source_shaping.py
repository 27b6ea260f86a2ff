"""Rendering at the target's resolution, augmentation, and the shaped source."""
import numpy as np
import pytest

from course_lib.source_shaping import augment, fill_frame, shaped_source, to_target_resolution


def test_target_resolution_has_17_grey_levels_at_8x8_and_returns_the_input_size():
    rng = np.random.default_rng(0)
    X = rng.random((3, 3, 32, 32), dtype=np.float32)
    out = to_target_resolution(X)
    assert out.shape == X.shape and out.dtype == np.float32
    # block-average by hand: the corner pixel of the upsampled image equals the quantised corner block
    block = X[0, 0, :4, :4].mean()
    assert out[0, 0, 0, 0] == pytest.approx(np.round(block * 16) / 16, abs=1e-6)
    small = to_target_resolution(X, size=8)
    levels = np.unique(np.round(small * 16, 4))
    assert np.allclose(levels, np.round(levels)), "at 8x8 every value is a multiple of 1/16"


def test_fill_frame_makes_a_small_digit_fill_the_frame():
    X = np.zeros((1, 1, 32, 32), np.float32)
    X[0, 0, 12:20, 14:18] = 1.0  # an 8 x 4 bar
    out = fill_frame(X)
    rows = np.flatnonzero(out[0, 0].max(1) > 0.2)
    assert rows[0] <= 1 and rows[-1] >= 30, "the longer side now spans the frame"
    assert fill_frame(np.zeros((1, 1, 32, 32), np.float32)).max() == 0, "no ink: unchanged"


def test_augment_is_seeded_keeps_shape_and_range_and_changes_images():
    X = np.zeros((4, 3, 32, 32), np.float32)
    X[:, :, 8:24, 14:18] = 1.0
    a, b = augment(X, seed=1), augment(X, seed=1)
    np.testing.assert_array_equal(a, b, err_msg="same seed, same images")
    assert a.shape == X.shape and a.min() >= 0 and a.max() <= 1
    assert not np.allclose(a, X) and not np.allclose(a, augment(X, seed=2))
    X12 = np.repeat(X[:1], 12, axis=0)
    only_stroke = augment(X12, seed=0, rotate=0, scale=(1, 1), shear=0, shift=0, blur=0)
    ink = (only_stroke[:, 0] > 0.5).reshape(12, -1).sum(1)
    assert set(ink.tolist()) == {16 * 4, 18 * 6, 14 * 2}, "a 16x4 bar is kept, thickened to 18x6 or thinned to 14x2"


def test_shaped_source_has_labels_and_copies():
    b = shaped_source(n=20, seed=0, copies=2)
    assert b.X.shape == (40, 3, 32, 32) and b.y.shape == (40,)
    np.testing.assert_array_equal(b.y[:20], b.y[20:])


def test_bad_inputs_raise_value_errors_naming_the_argument():
    X = np.zeros((2, 3, 32, 32), np.float32)
    with pytest.raises(ValueError, match="low"):
        to_target_resolution(X, low=7)
    with pytest.raises(ValueError, match="levels"):
        to_target_resolution(X, levels=1)
    with pytest.raises(ValueError, match="threshold"):
        fill_frame(X, threshold=1.5)
    with pytest.raises(ValueError, match="scale"):
        augment(X, scale=(1.2, 1.0))
    with pytest.raises(ValueError, match="rotate"):
        augment(X, rotate=-1)
    with pytest.raises(ValueError, match="copies"):
        shaped_source(n=10, copies=0)


def test_shaped_source_cnn_channels_last_trains_the_same_network_up_to_rounding_and_caches_it_apart():
    import torch

    from course_lib.source_shaping import shaped_source_cnn

    a = shaped_source_cnn(0, resolution=False, augmentation=False, num_epochs=1, n=64)
    b = shaped_source_cnn(0, resolution=False, augmentation=False, num_epochs=1, n=64, channels_last=True)
    assert b.encoder[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert not a.encoder[0].weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.rand(8, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(a(x), b(x), atol=1e-2), "same data, seed and steps: the same network up to rounding"
    again = shaped_source_cnn(0, resolution=False, augmentation=False, num_epochs=1, n=64, channels_last=True)
    assert all(torch.equal(p, q) for p, q in zip(b.state_dict().values(), again.state_dict().values())), "cached"
