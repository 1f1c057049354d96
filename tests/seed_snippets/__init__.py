"""The Keras code of the five blog posts (in Chinese) the course started from, quoted verbatim.

Each entry: the source file name in the course's seed collection, the post's title (or, for an
untitled post, its opening sentence), the section holding the code, and the code exactly as
published (every ```python block of the post, in order). Kept here so that
``tests/test_seed_examples.py`` runs in any clone; ``tools``-free, plain data.
"""
from collections import namedtuple

Snippet = namedtuple("Snippet", "source title section code")

# The posts repeat each other's Sequential/compile/fit lines (000, 001 and 003 share most of theirs); a quote
# stays as published, so the repeats stay.
SNIPPETS = {}

SNIPPETS["000"] = Snippet(
    source="000_d8d7e802814589bc.txt",
    title="(untitled) post on RNNs for biological sequence data, opening 「循环神经网络（Recurrent Neural Networks，RNNs）是一种人工神经网络，它们在处理序列数据时具有显著优势。」",
    section="4.具体代码实例和详细解释说明",
    code='''
from keras.models import Sequential
from keras.layers import LSTM, Dense
from keras.utils import to_categorical
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
''')

SNIPPETS["001"] = Snippet(
    source="001_f0c05282dccb7962.txt",
    title="(untitled) post on LSTM, opening 「长短时记忆网络（LSTM）是一种特殊的循环神经网络（RNN）结构，它能够更好地处理序列数据的长期依赖关系。」",
    section="4.具体代码实例和详细解释说明",
    code='''
import numpy as np
import tensorflow as tf
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import LSTM, Dense

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
''')

SNIPPETS["002"] = Snippet(
    source="002_22b555d6647588a5.txt",
    title="生物医学研究中的LSTM网络 (作者：禅与计算机程序设计艺术)",
    section="项目实践",
    code='''
from keras.models import Sequential
from keras.layers import Dense, LSTM

model = Sequential()
model.add(LSTM(50, input_shape=(10, 1)))
model.add(Dense(1))
''')

SNIPPETS["003"] = Snippet(
    source="003_903c8147d6a156d9.txt",
    title="(untitled) post on LSTM for biological counts, opening 「长短期记忆网络（LSTM）是一种特殊的循环神经网络（RNN），它能够更好地处理时间序列数据。」",
    section="4.具体代码实例和详细解释说明",
    code='''
from keras.models import Sequential
from keras.layers import LSTM, Dense

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
''')

SNIPPETS["004"] = Snippet(
    source="004_887b61420e773f4b.txt",
    title="(untitled) post on RNNs, opening 「循环神经网络（Recurrent Neural Networks，RNN）是一种特殊的神经网络结构，它具有时间序列处理的能力。」",
    section="4.具体代码实例和详细解释说明",
    code='''
import numpy as np
from keras.models import Sequential
from keras.layers import Dense, SimpleRNN
X = np.array([[0, 1, 0, 3, 1, 2, 0, 1, 0, 3, 0, 1, 2, 0, 1, 0, 3, 1, 2, 0]])
y = np.array([[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
model = Sequential()
model.add(SimpleRNN(units=3, input_shape=(X.shape[1], X.shape[2]), activation='relu'))
model.add(Dense(units=y.shape[1], activation='softmax'))
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.fit(X, y, epochs=100, verbose=0)
''')
