"""Summarise py-spy's collapsed stacks (bench/profiles/*.txt): where the samples fall, by thread and function.

    .venv/bin/python -m bench.profile_summary bench/profiles/daphnex1-S2-0.txt [--top 25] [--focus name]

`self` counts samples whose innermost frame is the function; `incl` counts samples with the function
anywhere on the stack (project and library code only, so the figures say which call to fix).
"""

import argparse
import re
from collections import Counter

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:]+)(?::\d+)?\)$")


def parse(path: str):
    with open(path) as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if count.isdigit():
                yield stack.split(";"), int(count)


def label(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    for marker in ("site-packages/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{match['func']} ({file})"


def thread_of(stack: list[str]) -> str:
    text = ";".join(stack[:12])
    if "_worker (concurrent/futures/thread.py" in text:
        return "db thread(s)"
    if "run_forever" in text or "asyncio" in text or "twisted" in text:
        return "event loop"
    return "other"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--focus", default="", help="only stacks containing this text")
    args = parser.parse_args()
    total, threads, self_counts, incl = 0, Counter(), Counter(), Counter()
    for path in args.paths:
        for stack, count in parse(path):
            if args.focus and args.focus not in ";".join(stack):
                continue
            total += count
            threads[thread_of(stack)] += count
            self_counts[label(stack[-1])] += count
            for name in {label(f) for f in stack}:
                incl[name] += count
    print(f"{total} samples")
    for name, count in threads.most_common():
        print(f"  {100 * count / total:5.1f}%  {name}")
    print("\nself:")
    for name, count in self_counts.most_common(args.top):
        print(f"  {100 * count / total:5.1f}%  {name}")
    print("\ninclusive (project code and chosen libraries):")
    keep = ("ielts_site", "realtime/", "monitoring/", "attempts/", "sessions_app/", "channels", "django/db",
            "psycopg", "asgiref", "redis", "daphne", "autobahn", "json", "rest_framework")  # fmt: skip
    shown = 0
    for name, count in incl.most_common():
        if any(k in name for k in keep):
            print(f"  {100 * count / total:5.1f}%  {name}")
            shown += 1
            if shown >= args.top * 2:
                break


if __name__ == "__main__":
    main()
