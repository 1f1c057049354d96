"""Class labels and token ids follow one rule wherever they enter (rnncore._validation.integer_ids):
integers, or floats holding whole numbers; anything else is a clear error naming the caller."""
import numpy as np
import pytest

from rnncore import layers as L
from rnncore import losses
from rnncore.utils import to_categorical


_EMBEDDING = L.Embedding(5, 3)
_EMBEDDING.build((None, 2))


def _embedding(ids):
    return _EMBEDDING.forward(np.asarray(ids))


def _sparse_loss(ids):
    return losses.get("sparse_categorical_crossentropy").check(np.asarray(ids), np.zeros((2, 5)))


ENTRY_POINTS = [(to_categorical, "to_categorical"), (_embedding, "Embedding"),
                (_sparse_loss, "sparse_categorical_crossentropy")]


@pytest.mark.parametrize("fn, name", ENTRY_POINTS)
def test_integer_ids_one_rule(fn, name):
    ids = [[1, 3]] if fn is _embedding else [1, 3]
    whole_floats = np.asarray(ids, dtype=np.float32)
    np.testing.assert_array_equal(fn(whole_floats), fn(np.asarray(ids)))
    for bad in (whole_floats + 0.5, np.where(whole_floats == 3, np.inf, whole_floats),
                np.where(whole_floats == 3, np.nan, whole_floats)):
        with pytest.raises(ValueError, match=f"{name}.*integer.*got non-integer values"):
            fn(bad)
    with pytest.raises(TypeError, match=f"{name}.*integer.*got dtype <U"):
        fn(np.asarray(ids).astype(str))
