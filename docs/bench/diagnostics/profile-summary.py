"""Sums an async-profiler collapsed profile (recorded with 'threads') by thread, and splits the classify inference
threads' samples into ONNX Runtime, tokenizer and the rest. Usage: profile-summary.py passes.collapsed"""
import collections
import re
import sys

threads = collections.Counter()
classify = collections.Counter()
for line in open(sys.argv[1]):
    stack, count = line.rsplit(' ', 1)
    frames = stack.split(';')
    name = re.sub(r'\d+', '#', re.sub(r' tid=\d+\]', '', frames[0]).lstrip('['))
    threads[name] += int(count)
    if name.startswith('classify inference'):
        text = stack.lower()
        part = 'ONNX Runtime' if 'ortsession' in text else 'tokenizer' if 'tokeniz' in text else 'other'
        classify[part] += int(count)
total = sum(threads.values())
print(f'{total} samples')
for name, count in threads.most_common(15):
    print(f'{100 * count / total:5.1f}%  {name}')
inference = sum(classify.values()) or 1
print('classify inference threads:', ', '.join(f'{part} {100 * n / inference:.1f}%' for part, n in classify.most_common()))
