"""Prompt Lab: tune a prompt for a task on the person's own examples, without touching weights.

- `tasks`, `task_files`: a task (examples, labels, pool/test split); JSONL and CSV files.
- `scorer`, `prompts`, `evaluate`, `calibration`: teacher-forced scoring of prompts.
- `space`, `budget`, `search`: candidates, budgets and the successive-halving search
  (`search.tune` is a generator of progress events that ends with the result).
- `results`, `stats`, `metrics`: what a run found, and how far to trust it.
- `preset`, `storage`: the winner as a chat preset; tasks, runs and presets on disk.
"""
