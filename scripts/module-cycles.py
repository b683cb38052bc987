#!/usr/bin/env python3
"""Checks that no crate has a cycle between its modules (ARCHITECTURE.md: "no cycles").

Edges come from `use` declarations and `crate::`/`super::` paths outside test code; an item
imported through a parent's `pub use` counts as an edge to the module that defines it. Two
checks: cycles between files, and cycles between sibling modules at any level (a file of
`audio/` using `realtime::messages` while `realtime/` uses `audio` is a cycle audio <->
realtime). A heuristic over the source text, not a compiler pass; it found every cycle issue 8
listed in the tree before the workspace split.

Usage: python3 scripts/module-cycles.py CRATE_SRC_DIR...   (exit status 1 on a cycle)"""
import os, re, sys
from collections import defaultdict

def modpath(rel):
    rel = rel[:-3]
    parts = rel.split('/')
    if parts[-1] in ('mod', 'lib', 'main'):
        parts = parts[:-1]
    return tuple(parts)

def strip_tests(s):
    m = re.search(r'#\[cfg\(test\)\]\s*mod tests\s*\{', s)
    if m:
        s = s[:m.start()]
    s = re.sub(r'#\[cfg\(test\)\]\s*mod tests;', '', s)
    s = re.sub(r'//[^\n]*', '', s)
    return s

def analyse(src):
    files = {}
    for d, _, fs in os.walk(src):
        for f in fs:
            if f.endswith('.rs'):
                rel = os.path.relpath(os.path.join(d, f), src)
                if '/tests/' in '/' + rel or rel.endswith('/tests.rs') or rel.startswith('tests/') or rel == 'tests.rs':
                    continue
                if rel.startswith('bin/'):
                    continue
                files[modpath(rel)] = strip_tests(open(os.path.join(d, f)).read())
    mods = set(files)
    reexp = {}  # (module, name) -> child module
    for m, s in files.items():
        for mm in re.finditer(r'pub(?:\([a-z]+\))? use (self::)?([a-z_0-9]+)::([^;]+);', s):
            child = m + (mm.group(2),)
            if child in mods:
                for name in re.findall(r'\b([A-Za-z_][A-Za-z0-9_]*)\b', mm.group(3)):
                    reexp[(m, name)] = child
    def resolve(m, path):
        parts = path.split('::')
        if parts[0] == 'crate':
            base = (); parts = parts[1:]
        elif parts[0] == 'super':
            base = m
            while parts and parts[0] == 'super':
                base = base[:-1]; parts = parts[1:]
        elif parts[0] == 'self':
            base = m; parts = parts[1:]
        else:
            return None
        cur = base
        for p in parts:
            if cur + (p,) in mods:
                cur = cur + (p,)
            else:
                # an item of `cur`; follow a re-export to the defining child
                seen = 0
                while (cur, p) in reexp and seen < 5:
                    cur = reexp[(cur, p)]; seen += 1
                break
        return cur
    edges = defaultdict(set)
    for m, s in files.items():
        # expand `use a::{b, c::{d}}` roughly: take prefix + each leaf
        for u in re.finditer(r'\buse\s+([^;]+);', s):
            body = re.sub(r'\s+', '', u.group(1))
            for path in expand(body):
                t = resolve(m, path)
                if t is not None and t != m and not is_ancestor(m, t):
                    edges[m].add(t)
        for p in re.findall(r'\b((?:crate|super)(?:::[A-Za-z_0-9]+)+)', s):
            t = resolve(m, p)
            if t is not None and t != m and not is_ancestor(m, t):
                edges[m].add(t)
    return mods, edges

def is_ancestor(m, t):
    return len(t) < len(m) and m[:len(t)] == t

def expand(body):
    # a::{b,c::{d,e}} -> [a::b, a::c::d, a::c::e]
    out = []
    def rec(prefix, s):
        i = s.find('{')
        if i < 0:
            for part in split_top(s):
                out.append(prefix + part.split(' as ')[0])
            return
        head = s[:i]
        inner = s[i+1:s.rfind('}')]
        for part in split_top(inner):
            if '{' in part:
                rec(prefix + head, part)
            else:
                out.append(prefix + head + part)
    rec('', body)
    return [o.replace('::self', '').split('as')[0] if o.endswith('::self') else o for o in out]

def split_top(s):
    parts, depth, cur = [], 0, ''
    for ch in s:
        if ch == '{': depth += 1
        if ch == '}': depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur); cur = ''
        else:
            cur += ch
    if cur: parts.append(cur)
    return [p for p in parts if p]

def sccs(nodes, edges):
    index = {}; low = {}; st = []; on = set(); out = []; c = [0]
    sys.setrecursionlimit(10000)
    def strong(v):
        index[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = st.pop(); on.discard(w); comp.append(w)
                if w == v: break
            out.append(comp)
    for v in nodes:
        if v not in index: strong(v)
    return [c for c in out if len(c) > 1]

def sibling_edges(edges):
    """Each edge a -> b lifted to the children of their lowest common ancestor: a cycle there is
    a cycle between sibling modules (e.g. realtime <-> audio), whatever the files."""
    out = defaultdict(set)
    for a, bs in edges.items():
        for b in bs:
            k = 0
            while k < min(len(a), len(b)) and a[k] == b[k]:
                k += 1
            if k == len(a) or k == len(b):
                continue  # one is an ancestor of the other
            out[a[:k + 1]].add(b[:k + 1])
    return out

ok = True
for src in sys.argv[1:]:
    mods, edges = analyse(src)
    lifted = sibling_edges(edges)
    nodes = sorted(set(lifted) | {b for v in lifted.values() for b in v})
    cyc = sccs(sorted(mods), edges) + sccs(nodes, lifted)
    edges = {**edges, **{k: edges.get(k, set()) | v for k, v in lifted.items()}}
    n = sum(len(v) for v in edges.values())
    name = lambda m: '::'.join(m) or 'crate'
    if cyc:
        ok = False
        for comp in cyc:
            print(f'{src}: CYCLE: ' + ' <-> '.join(sorted(name(m) for m in comp)))
            for a in comp:
                for b in edges[a]:
                    if b in comp: print(f'    {name(a)} -> {name(b)}')
    else:
        print(f'{src}: {len(mods)} modules, {n} edges, no cycle')
# A path that is not a source directory is a mistake in the caller, not a pass.
for src in sys.argv[1:]:
    if not os.path.isdir(src):
        print(f'{src}: not a directory'); ok = False
sys.exit(0 if ok else 1)
