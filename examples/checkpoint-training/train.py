#!/usr/bin/env python3
"""A tiny training loop that survives preemption (Python standard library only, nothing to download).

Each epoch it saves a checkpoint to its output directory ($AZ_BATCHAI_OUTPUT_MODEL). When the job is requeued after
a node was preempted or lost, the next attempt finds the previous attempt's checkpoint through
$AZ_BATCHAI_PREV_OUTPUT_MODEL and resumes from it. On SIGTERM (the eviction notice) it checkpoints and exits.
"""
import argparse
import json
import os
import signal
import sys
import time


def save(directory, state):
    """Writes the checkpoint atomically: a reader never sees a half-written file."""
    path = os.path.join(directory, "checkpoint.json")
    with open(path + ".tmp", "w") as f:
        json.dump(state, f)
    os.replace(path + ".tmp", path)


def load(directory):
    path = os.path.join(directory, "checkpoint.json") if directory else ""
    if path and os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--epoch-seconds", type=float, default=1.0)
    args = parser.parse_args()

    output = os.environ.get("AZ_BATCHAI_OUTPUT_MODEL") or os.getcwd()
    os.makedirs(output, exist_ok=True)
    state = load(os.environ.get("AZ_BATCHAI_PREV_OUTPUT_MODEL", ""))
    if state:
        print("resumed from epoch %d" % state["epoch"], flush=True)
        save(output, state)
    else:
        state = {"epoch": 0, "weight": 0.0}
        print("starting from scratch", flush=True)

    def on_sigterm(signum, frame):
        save(output, state)
        print("SIGTERM: checkpoint saved at epoch %d" % state["epoch"], flush=True)
        sys.exit(143)

    signal.signal(signal.SIGTERM, on_sigterm)
    while state["epoch"] < args.epochs:
        time.sleep(args.epoch_seconds)
        epoch = state["epoch"] + 1
        # "Training": the weight converges to 1, so the loss halves every epoch.
        state = {"epoch": epoch, "weight": state["weight"] + 0.5 ** epoch}
        save(output, state)
        print("epoch %d loss %.6f" % (epoch, 1.0 - state["weight"]), flush=True)

    with open(os.path.join(output, "model.json"), "w") as f:
        json.dump({"epochs": state["epoch"], "weight": state["weight"]}, f)
    print("done: model.json written", flush=True)


if __name__ == "__main__":
    main()
