"""`make bench`: the hub measured against bare baselines in the same run."""
