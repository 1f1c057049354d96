"""The Keras examples of the five seed documents (``../shared/seeds/000_*.txt`` .. ``004_*.txt``) run on
rnncore with only the imports changed.

Each ``SEED_*`` string below is the seed's Python code block, verbatim, with ``keras.*`` /
``tensorflow.keras.*`` imports turned into ``rnncore.*`` ones (and ``import tensorflow as tf``,
unused, dropped); ``test_snippets_are_the_seed_code_with_imports_changed`` checks that against the
seed files whenever they are in the checkout. What a snippet leaves undefined (a data loader,
``X_train``, ...) is defined before it runs, as small synthetic data of the shape the code implies,
and ``set_random_seed(0)`` (Keras' own ``keras.utils.set_random_seed``) makes every run the same.
No size or epoch count needed reducing: the synthetic data sets are small instead.

Parameter counts are computed from Keras' formulas. Keras' SimpleRNN and LSTM have one bias
vector per gate block, rnncore's PyTorch layout two (``b_ih``, ``b_hh``): rnncore's table counts
both (gates * units more per layer) and its summary ends with a note giving Keras' total.
"""
import random
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from rnncore import utils
from rnncore.utils import set_random_seed

ROOT = Path(__file__).resolve().parents[1]
SEED_DIRS = (ROOT / "shared" / "seeds", ROOT.parent / "shared" / "seeds")


@pytest.fixture(autouse=True)
def _restore_global_seeds(monkeypatch):
    """set_random_seed changes process-wide state (as Keras'); put it back for the tests that follow."""
    monkeypatch.setattr(utils, "_SEED_SOURCE", utils._SEED_SOURCE)
    np_state, py_state = np.random.get_state(), random.getstate()
    yield
    np.random.set_state(np_state)
    random.setstate(py_state)


# ----------------------------------------------------------------------------- Keras' parameter counts
def keras_lstm(units, input_dim):
    """Keras LSTM: kernel (D, 4H), recurrent kernel (H, 4H), one bias (4H,)."""
    return 4 * (units * (input_dim + units) + units)


def keras_simple_rnn(units, input_dim):
    """Keras SimpleRNN: kernel (D, H), recurrent kernel (H, H), one bias (H,)."""
    return units * (input_dim + units) + units


def keras_dense(units, input_dim):
    return input_dim * units + units


def check_summary(out, rows):
    """``rows``: one ``(layer type, output shape, Keras' count, rnncore's extra b_hh)`` per layer, in order."""
    lines = out.splitlines()
    seps = [i for i, line in enumerate(lines) if line and set(line) == {"="}]
    table = lines[seps[0] + 1:seps[1]]
    assert len(table) == len(rows), out
    for line, (kind, shape, keras_n, extra) in zip(table, rows):
        assert f"({kind})" in line and shape in line, line
        assert line.split()[-1] == f"{keras_n + extra:,}", line
    keras_total, extra = sum(r[2] for r in rows), sum(r[3] for r in rows)
    assert f"Total params: {keras_total + extra:,}" in out
    assert f"Trainable params: {keras_total + extra:,}" in out
    if extra:
        assert f"Keras reports {keras_total:,} total params" in out and f"{extra:,} more here" in out
    else:
        assert "Keras reports" not in out


# ----------------------------------------------------------------------------- the seed code
SEED_000 = '''
from rnncore.models import Sequential
from rnncore.layers import LSTM, Dense
from rnncore.utils import to_categorical
import numpy as np

# 加载基因表达数据
X, y = load_gene_expression_data()

# 将数据转换为数组
X = np.array(X)
y = to_categorical(y)

# 创建LSTM模型
model = Sequential()
model.add(LSTM(50, activation='relu', input_shape=(X.shape[1], X.shape[2])))
model.add(Dense(y.shape[1], activation='softmax'))

# 编译模型
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])

# 训练模型
model.fit(X, y, epochs=10, batch_size=32)
'''

SEED_001 = '''
import numpy as np
from rnncore.models import Sequential
from rnncore.layers import LSTM, Dense

# 生成随机数据
X = np.random.rand(100, 10, 1)
y = np.random.rand(100, 1)

# 构建 LSTM 模型
model = Sequential()
model.add(LSTM(50, activation='relu', input_shape=(10, 1)))
model.add(Dense(1, activation='sigmoid'))

# 编译模型
model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])

# 训练模型
model.fit(X, y, epochs=10, batch_size=32)
'''

SEED_002 = '''
from rnncore.models import Sequential
from rnncore.layers import Dense, LSTM

model = Sequential()
model.add(LSTM(50, input_shape=(10, 1)))
model.add(Dense(1))
'''

SEED_003 = '''
from rnncore.models import Sequential
from rnncore.layers import LSTM, Dense

# 构建 LSTM 网络
model = Sequential()
model.add(LSTM(50, input_shape=(time_steps, num_features)))
model.add(Dense(1))

# 编译模型
model.compile(optimizer='adam', loss='mean_squared_error')

# 训练模型
model.fit(X_train, y_train, epochs=100, batch_size=32)

# 预测生物计数数据
predictions = model.predict(X_test)
'''

# three code blocks in the document, run one after the other
SEED_004 = '''
import numpy as np
from rnncore.models import Sequential
from rnncore.layers import Dense, SimpleRNN

X = np.array([[0, 1, 0, 3, 1, 2, 0, 1, 0, 3, 0, 1, 2, 0, 1, 0, 3, 1, 2, 0]])
y = np.array([[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])

model = Sequential()
model.add(SimpleRNN(units=3, input_shape=(X.shape[1], X.shape[2]), activation='relu'))
model.add(Dense(units=y.shape[1], activation='softmax'))
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.fit(X, y, epochs=100, verbose=0)
'''


def run(code, name, **defined):
    """Execute a snippet in a fresh namespace holding ``defined``; returns the namespace."""
    ns = dict(defined)
    exec(compile(code, name, "exec"), ns)
    return ns


def edit(code, old, new):
    """One named change to a snippet (it must occur exactly once)."""
    assert code.count(old) == 1, old
    return code.replace(old, new)


def keras_to_rnncore(code):
    """The only change allowed: the imports."""
    code = re.sub(r"^from (?:tensorflow\.)?keras\.(models|layers|utils) import", r"from rnncore.\1 import",
                  code, flags=re.M)
    return re.sub(r"^import tensorflow as tf\n", "", code, flags=re.M)


def _lines(code):
    return [line.rstrip() for line in code.splitlines() if line.strip()]


@pytest.mark.parametrize("stem, snippet", [("000", SEED_000), ("001", SEED_001), ("002", SEED_002),
                                           ("003", SEED_003), ("004", SEED_004)])
def test_snippets_are_the_seed_code_with_imports_changed(stem, snippet):
    files = [f for d in SEED_DIRS for f in sorted(d.glob(f"{stem}_*.txt"))]
    if not files:
        pytest.skip("the seed documents (../shared/seeds) are not in this checkout")
    blocks = re.findall(r"```python\n(.*?)```", files[0].read_text(encoding="utf-8"), flags=re.S)
    assert blocks, f"no python code block in {files[0].name}"
    assert _lines(keras_to_rnncore("\n".join(blocks))) == _lines(snippet)


# ----------------------------------------------------------------------------- running them
def test_seed_000_lstm_classifier_on_gene_expression(capsys):
    """seeds/000_d8d7e802814589bc.txt, section 4: LSTM(relu) + softmax Dense on one-hot gene-expression classes."""
    set_random_seed(0)

    def load_gene_expression_data():
        """The seed's loader is undefined. Stand-in: 64 samples x 12 time points x 5 genes as Python lists,
        3 classes (how many of genes 0 and 1 are up on average), integer labels."""
        r = np.random.default_rng(0)
        X = r.standard_normal((64, 12, 5))
        y = (X[:, :, 0].mean(1) > 0).astype(int) + (X[:, :, 1].mean(1) > 0)
        return [x.tolist() for x in X], y.tolist()

    with warnings.catch_warnings():          # Keras' relu LSTM runs as written: no warning
        warnings.simplefilter("error")
        ns = run(SEED_000, "seed_000", load_gene_expression_data=load_gene_expression_data)
    model, X, y = ns["model"], ns["X"], ns["y"]
    assert model.layers[0].activation_name == "relu"
    assert X.shape == (64, 12, 5) and y.shape == (64, 3) and np.array_equal(y.sum(1), np.ones(64))

    hist = model.history                       # the snippet drops fit's return value; Keras keeps it here too
    assert hist.epoch == list(range(10)) and set(hist.history) == {"loss", "accuracy"}
    loss = hist.history["loss"]
    assert loss[-1] < 0.9 * loss[0]
    assert all(0 <= a <= 1 for a in hist.history["accuracy"])
    assert "Epoch 10/10" in capsys.readouterr().err     # verbose=1 (the default): a progress bar per epoch

    p = model.predict(X)
    assert p.shape == (64, 3) and p.dtype == np.float32
    assert ((p >= 0) & (p <= 1)).all() and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    assert model.evaluate(X, y)[0] == pytest.approx(-np.mean(np.sum(y * np.log(p), axis=1)), rel=1e-4)

    model.summary()
    check_summary(capsys.readouterr().out, [("LSTM", "(None, 50)", keras_lstm(50, 5), 4 * 50),
                                            ("Dense", "(None, 3)", keras_dense(3, 50), 0)])


def test_seed_001_lstm_sigmoid_on_random_data(capsys):
    """seeds/001_f0c05282dccb7962.txt, section 4: the document generates its own (random) data, so nothing is added."""
    set_random_seed(0)
    with warnings.catch_warnings():          # LSTM(50, activation='relu'): the relu cell, no warning
        warnings.simplefilter("error")
        ns = run(SEED_001, "seed_001")
    model, X, y = ns["model"], ns["X"], ns["y"]
    assert model.layers[0].activation_name == "relu"
    hist = model.history
    assert hist.epoch == list(range(10)) and set(hist.history) == {"loss", "accuracy"}
    loss = np.array(hist.history["loss"])
    # y is uniform noise, independent of X: the best any model does is predict y's mean, whose binary
    # cross-entropy is `floor`. The initial sigmoid output is already near 0.5, so the loss starts close
    # to the floor; it must go down to the floor.
    m = y.mean()
    floor = -np.mean(y * np.log(m) + (1 - y) * np.log(1 - m))
    assert np.isfinite(loss).all() and loss[-1] < loss[0]
    assert abs(loss[-1] - floor) < 5e-3
    assert "Epoch 10/10" in capsys.readouterr().err

    p = model.predict(X)
    assert p.shape == (100, 1) and p.dtype == np.float32 and ((p > 0) & (p < 1)).all()
    assert abs(p.mean() - m) < 0.05

    model.summary()
    check_summary(capsys.readouterr().out, [("LSTM", "(None, 50)", keras_lstm(50, 1), 4 * 50),
                                            ("Dense", "(None, 1)", keras_dense(1, 50), 0)])


def test_seed_002_model_definition_only(capsys):
    """seeds/002_22b555d6647588a5.txt, 项目实践: the model is only defined (no compile, no data)."""
    set_random_seed(0)
    ns = run(SEED_002, "seed_002")
    model = ns["model"]
    model.summary()                                    # input_shape given: summary works before any data
    check_summary(capsys.readouterr().out, [("LSTM", "(None, 50)", keras_lstm(50, 1), 4 * 50),
                                            ("Dense", "(None, 1)", keras_dense(1, 50), 0)])
    # as in Keras, predict needs no compile; the linear Dense gives unbounded values, one per sequence
    x = np.random.default_rng(0).standard_normal((7, 10, 1))
    p = model.predict(x)
    assert p.shape == (7, 1) and p.dtype == np.float32 and np.isfinite(p).all()
    with pytest.raises(RuntimeError, match="compile the model"):
        model.fit(x, np.zeros((7, 1)))


def test_seed_003_lstm_regression_of_counts(capsys):
    """seeds/003_903c8147d6a156d9.txt, section 4: LSTM + Dense(1) trained with MSE, then predict on X_test."""
    set_random_seed(0)
    # Undefined in the seed: time_steps, num_features, X_train, y_train, X_test. Stand-in: 10 time points of
    # 3 measurements; the target is the sum of the first measurement over the last 3 time points.
    time_steps, num_features = 10, 3
    r = np.random.default_rng(1)
    X_train = r.standard_normal((64, time_steps, num_features))
    y_train = X_train[:, -3:, 0].sum(axis=1, keepdims=True)
    X_test = r.standard_normal((16, time_steps, num_features))
    y_test = X_test[:, -3:, 0].sum(axis=1, keepdims=True)
    ns = run(SEED_003, "seed_003", time_steps=time_steps, num_features=num_features,
             X_train=X_train, y_train=y_train, X_test=X_test)
    model, predictions = ns["model"], ns["predictions"]
    loss = model.history.history["loss"]
    assert len(loss) == 100 and set(model.history.history) == {"loss"}
    assert loss[-1] < 0.1 * loss[0]
    assert "Epoch 100/100" in capsys.readouterr().err

    assert predictions.shape == (16, 1) and predictions.dtype == np.float32 and np.isfinite(predictions).all()
    assert np.mean((predictions - y_test) ** 2) < 0.25 * np.var(y_test)     # it generalises, not only fits
    assert model.evaluate(X_test, y_test) == pytest.approx(np.mean((predictions - y_test) ** 2), rel=1e-4)

    model.summary()
    check_summary(capsys.readouterr().out, [("LSTM", "(None, 50)", keras_lstm(50, num_features), 4 * 50),
                                            ("Dense", "(None, 1)", keras_dense(1, 50), 0)])


def test_seed_004_simple_rnn_fails_as_in_keras_then_runs_when_corrected(capsys):
    """seeds/004_887b61420e773f4b.txt, section 4. The document's code does not run under Keras either:

    1. its X has shape (1, 20), so ``X.shape[2]`` raises NumPy's IndexError before any layer is built;
    2. with a feature axis, X (1, 20, 1), its one-hot y (1, 20) does not suit
       'sparse_categorical_crossentropy' (Keras fails inside TensorFlow; rnncore names the fix);
    3. with loss='categorical_crossentropy' it trains.
    """
    set_random_seed(0)
    with pytest.raises(IndexError, match="tuple index out of range"):
        run(SEED_004, "seed_004")

    with_features = edit(SEED_004, "\nmodel = Sequential()", "\nX = X[..., None]\nmodel = Sequential()")
    with pytest.raises(ValueError, match=r"integer targets of shape \(1, 20\) do not match the model output of "
                                         r"shape \(1, 20\).*targets look one-hot: use "
                                         r"loss='categorical_crossentropy'"):
        run(with_features, "seed_004")
    capsys.readouterr()

    corrected = edit(with_features, "loss='sparse_categorical_crossentropy'", "loss='categorical_crossentropy'")
    ns = run(corrected, "seed_004")
    model, X, y = ns["model"], ns["X"], ns["y"]
    out, err = capsys.readouterr()
    assert out == "" and err == ""                     # verbose=0: silent
    hist = model.history.history
    assert len(hist["loss"]) == 100 and set(hist) == {"loss", "accuracy"}
    # 3 relu units fed non-negative inputs are often all dead at initialisation (Keras' too): then only the
    # Dense bias learns, which still lowers the loss and makes class 1 the most probable
    assert hist["loss"][-1] < 0.95 * hist["loss"][0]

    p = model.predict(X)
    assert p.shape == (1, 20) and p.dtype == np.float32
    assert ((p >= 0) & (p <= 1)).all() and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    assert p.argmax() == y.argmax() == 1

    model.summary()
    check_summary(capsys.readouterr().out, [("SimpleRNN", "(None, 3)", keras_simple_rnn(3, 1), 3),
                                            ("Dense", "(None, 20)", keras_dense(20, 3), 0)])
