"""Per-call cost of the mentoring pipeline in offline mode (no HTTP), in microseconds.

Usage: python benchmarks/bench_pipeline.py [--calls N] [--repeats R]

Each operation runs N calls, R times; the best and median per-call CPU time of this process
are printed (CPU time, not wall time, so that other work sharing the machine shows up less), and
the best as a multiple of a fixed yardstick (json.dumps of a small dict) timed in the same run.
Inputs
cycle through English and Korean messages with a counter appended, so every call sees a new
string (as uncached HTTP traffic does). Goal (issue 7): route + analyze + build_prompt well
under ~50 µs together, so that the whole uncached HTTP request can reach 6,000 req/s on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from collections.abc import Callable

from ioncli.mentoring import MentoringPipeline
from ioncli.mentoring.models import ChatContext, ChatMessage, ProcessInput

MESSAGES = (
    "I feel stuck and frustrated with this bug, it keeps failing. What should I do?",
    "Production is down and we need a fix ASAP!!",
    "How does the resonance router pick a persona?",
    "Can you compare the latency metrics between our three regions and tell me what changed?",
    "Our team needs a plan for next quarter's roadmap; who should own which milestone?",
    "I have been thinking about the last project, looking back I wonder what I could improve...",
    "급해요!! 서버가 안 돼요",
    "팀과 함께 다음 분기 일정을 계획하고 싶어요. 어떻게 해야 할까요?",
)
CONTEXT = ChatContext(
    user_id="user-42",
    session_id="session-7",
    message_history=(
        ChatMessage("user", "Hi, I am preparing a release."),
        ChatMessage("assistant", "Great, what is worrying you about it?"),
        ChatMessage("user", "Mostly the database migration and the on-call rota."),
    ),
)


def measure(fn: Callable[[int], object], calls: int, repeats: int) -> tuple[float, float]:
    per_call = []
    for _ in range(repeats):
        start = time.process_time()
        fn(calls)
        per_call.append((time.process_time() - start) / calls * 1e6)
    return min(per_call), statistics.median(per_call)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    pipeline = MentoringPipeline()
    texts = [f"{MESSAGES[i % len(MESSAGES)]} #{i}" for i in range(args.calls)]
    key = pipeline.parse_key("curious-flowing-problem_solving")
    keys = ["curious-flowing-problem_solving", "anxious-burst-seek_advice", "calm-medium-learning"]

    def route(n: int) -> None:
        for i in range(n):
            pipeline.route(pipeline.parse_key(keys[i % 3]))

    def analyze(n: int) -> None:
        for i in range(n):
            pipeline.analyze(texts[i])

    def build_standard(n: int) -> None:
        for i in range(n):
            pipeline.build_prompt("Elro", texts[i], key, CONTEXT)

    def build_light(n: int) -> None:
        for i in range(n):
            pipeline.build_prompt("Lua", texts[i], key, CONTEXT, "summary_light")

    def together(n: int) -> None:
        for i in range(n):
            analysis = pipeline.analyze(texts[i])
            routing = pipeline.route(analysis.key)
            pipeline.build_prompt(routing.primary, texts[i], analysis.key, CONTEXT)

    def cache_key(n: int) -> None:
        for i in range(n):
            pipeline.cache_key_parts(ProcessInput(texts[i], keys[i % 3], CONTEXT))

    def process(derive: bool) -> Callable[[int], object]:
        async def run(n: int) -> None:
            for i in range(n):
                await pipeline.process(
                    ProcessInput(texts[i], None if derive else keys[i % 3], CONTEXT)
                )

        return lambda n: asyncio.run(run(n))

    def multi(n: int) -> None:
        async def run() -> None:
            for i in range(n):
                await pipeline.multi_persona(texts[i], CONTEXT)

        asyncio.run(run())

    def recommend(n: int) -> None:
        for i in range(n):
            pipeline.recommend(texts[i])

    sample = {"persona": "Elro", "scores": [0.66, 1.0, 0.98, 0.79], "key": "calm-medium-learning"}

    def yardstick(n: int) -> None:
        for _ in range(n):
            json.dumps(sample)

    operations: dict[str, Callable[[int], object]] = {
        "yardstick: json.dumps small dict": yardstick,
        "parse_key + route": route,
        "analyze": analyze,
        "build_prompt standard": build_standard,
        "build_prompt summary_light": build_light,
        "analyze + route + build_prompt": together,
        "cache_key_parts": cache_key,
        "process, key given": process(derive=False),
        "process, key derived": process(derive=True),
        "multi_persona": multi,
        "recommend": recommend,
    }
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {args.calls} calls x {args.repeats} repeats"
    )
    print(
        f"{'operation (CPU time per call)':<34} {'best us':>9} {'median us':>10} "
        f"{'x yardstick':>12}"
    )
    unit = 0.0
    for name, fn in operations.items():
        fn(min(2000, args.calls))  # warm up: templates, memo, branch caches
        best, median = measure(fn, args.calls, args.repeats)
        unit = unit or best
        print(f"{name:<34} {best:>9.1f} {median:>10.1f} {best / unit:>12.1f}")


if __name__ == "__main__":
    main()
