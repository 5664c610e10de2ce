"""Schedules (``compiler/ir/schedule.ts``): a number as a function of training progress t in [0, 1]."""
import math


def evaluate(s, t):
    """The value of schedule ``s`` (IR JSON) at progress ``t`` (clamped to [0, 1])."""
    p = min(1.0, max(0.0, t))

    def along(start, end):
        if end <= start:
            return 1.0 if p >= end else 0.0
        return min(1.0, max(0.0, (p - start) / (end - start)))

    def half_cos(a, b, u):
        return b + (a - b) * (1 + math.cos(math.pi * u)) / 2

    tag = s["_tag"]
    if tag == "Constant":
        return s["value"]
    if tag == "Linear":
        return s["from"] + (s["to"] - s["from"]) * along(s["start"], s["end"])
    if tag == "Cosine":
        return half_cos(s["from"], s["to"], along(s["start"], s["end"]))
    if tag == "WarmupCosine":
        if s["warmup"] > 0 and p < s["warmup"]:
            return s["start"] + (s["peak"] - s["start"]) * p / s["warmup"]
        u = 1.0 if s["warmup"] >= 1 else (p - s["warmup"]) / (1 - s["warmup"])
        return half_cos(s["peak"], s["end"], u)
    raise ValueError(f"unknown schedule kind {tag!r}; known: Constant, Linear, Cosine, WarmupCosine")


SCHEDULE_TAGS = ("Constant", "Linear", "Cosine", "WarmupCosine")
