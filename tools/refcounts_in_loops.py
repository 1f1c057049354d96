#!/usr/bin/env python
"""Where the CPU kernels' compiled job drivers still count references, by loop depth.

    python tools/refcounts_in_loops.py          # a minute: compiles every driver afresh

Every view of a Numba array adds one to its owner's reference count and takes it off
again (atomic instructions on a counter the threads share), unless Numba's pruning pass
removes the pair. This compiles each cell's ``_forward_jobs`` and ``_backward_jobs`` (whose
jobs also compute their rows' weight gradients) in a fresh Numba cache, reads the optimised LLVM IR of the
driver, finds its loops from the control flow (nested strongly connected components:
depth 1 is the loop over jobs, 2 the steps, 3 the rows of a step, 4 the units) and prints
the calls to NRT_incref and NRT_decref at each depth. See rnncore/cpu/_common.py,
BORROWED: since it, the drivers count nothing below depth 1.
"""
import collections
import itertools
import os
import re
import subprocess
import sys
import tempfile

CHILD = """
import numpy as np
from rnncore.cpu import gru, lstm, peephole, rnn
rng = np.random.default_rng(0)
B, T, D, H = 8, 10, 4, 64
f = np.float32
x = rng.standard_normal((B, T, D)).astype(f)
def w(*s):
    return (rng.standard_normal(s) * 0.1).astype(f)
h0 = np.zeros((B, H), f)
o = lstm.forward(x, w(4 * H, D), w(4 * H, H), w(4 * H), w(4 * H), h0, h0)
lstm.backward(np.ones_like(o[0]), o[3], h0, h0)
o = gru.forward(x, w(3 * H, D), w(3 * H, H), w(3 * H), w(3 * H), h0)
gru.backward(np.ones_like(o[0]), o[2], h0)
o = rnn.forward(x, w(H, D), w(H, H), w(H), w(H), h0)
rnn.backward(np.ones_like(o[0]), o[2], h0)
o = peephole.forward(x, w(4 * H, D), w(4 * H, H), w(4 * H), w(4 * H), w(3, H), h0, h0)
peephole.backward(np.ones_like(o[0]), o[3], h0, h0)
out = sys.argv[1]
for mod in (lstm, gru, rnn, peephole):
    for name in ("_forward_jobs", "_backward_jobs"):
        ir = next(iter(getattr(mod, name).inspect_llvm().values()))
        open(f"{out}/{mod.__name__.split('.')[-1]}.{name}.ll", "w").write(ir)
"""


def function_body(ir, name):
    """The text of the compiled function ``name`` (a Python name, as ``_forward_jobs``) in the
    module ``ir``: its mangled name holds the name after its length; not its Python or C wrappers."""
    for f in re.split(r"\ndefine ", ir)[1:]:
        first = f.split("\n", 1)[0]
        if re.search(r' @"?_ZN(?!7cpython)\w*?' + f"{len(name)}{name}", first):
            return f
    raise LookupError(name)


def blocks_and_edges(body):
    blocks = collections.OrderedDict()
    cur = "entry"
    blocks[cur] = []
    for line in body.split("\n")[1:]:
        m = re.match(r"^([\w.\-]+):", line)
        if m:
            cur = m.group(1)
            blocks[cur] = []
        else:
            blocks[cur].append(line)
    edges = {b: set(re.findall(r"label %([\w.\-]+)", " ".join(lines))) for b, lines in blocks.items()}
    return blocks, edges


def sccs(nodes, edges):
    """Tarjan's strongly connected components of the subgraph on ``nodes`` (iterative)."""
    index, low, stack, on, out, count = {}, {}, [], set(), [], itertools.count()
    for s in nodes:
        if s in index:
            continue
        index[s] = low[s] = next(count)
        stack.append(s)
        on.add(s)
        work = [(s, iter([w for w in edges[s] if w in nodes]))]
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = next(count)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter([u for u in edges[w] if u in nodes])))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = set()
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.add(w)
                        if w == v:
                            break
                    out.append(comp)
    return out


def loop_depths(blocks, edges):
    """Block -> how many loops hold it: a loop is a strongly connected component; removing
    the edges into its headers (blocks entered from outside) leaves its inner loops."""
    depth = collections.Counter()

    def inner(nodes, edges, d):
        preds = collections.defaultdict(set)
        for u in nodes:
            for w in edges[u]:
                preds[w].add(u)
        for comp in sccs(nodes, edges):
            if len(comp) == 1 and not comp & edges[next(iter(comp))]:     # one block, no edge to itself
                continue
            for b in comp:
                depth[b] = d + 1
            heads = {b for b in comp if any(p not in comp for p in preds[b])} or {min(comp)}
            inner(comp, {u: {w for w in edges[u] if w in comp and w not in heads} for u in comp}, d + 1)

    inner(set(blocks), edges, 0)
    return depth


def refcounts_by_depth(ir, name):
    blocks, edges = blocks_and_edges(function_body(ir, name))
    depth = loop_depths(blocks, edges)
    counts = collections.Counter()
    for b, lines in blocks.items():
        for line in lines:
            m = re.search(r"call \S+ (?:\w+ )*@(NRT_incref|NRT_decref)\b", line)
            if m:
                counts[(depth[b], m.group(1))] += 1
    return counts


def columns(counts, depths=5):
    """``refcounts_by_depth``'s counts as "increfs/decrefs" per loop depth 0 .. depths - 1."""
    return "  ".join(f"{counts[(d, 'NRT_incref')]}/{counts[(d, 'NRT_decref')]}" for d in range(depths))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=os.path.join(tmp, "cache"))   # inspect_llvm needs a fresh compile
        subprocess.run([sys.executable, "-c", "import sys\n" + CHILD, tmp], check=True, env=env)
        print(f"{'driver':34s} NRT_incref / NRT_decref calls at loop depth 0 1 2 3 4 (1 jobs, 2 steps, 3 rows, 4 units)")
        for fname in sorted(os.listdir(tmp)):
            if not fname.endswith(".ll"):
                continue
            mod, name = fname[:-3].split(".")
            counts = refcounts_by_depth(open(os.path.join(tmp, fname)).read(), name)
            print(f"{mod + '.' + name:34s} {columns(counts)}")


if __name__ == "__main__":
    main()
