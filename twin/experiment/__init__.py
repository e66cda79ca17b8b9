"""Experiments: settings, the runner and its backends, results, comparison, sweeps, warm-up and
replication rules."""
